# English dates as Chorus has always shown them ("21 November 2026"): unambiguous on both
# sides of the Atlantic. Other languages use Django's own formats for their locale.
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
