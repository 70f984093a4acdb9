# English dates as Chorus has always shown them ("28 November 2026"): unambiguous on both sides
# of the Atlantic, and times on the 24-hour clock ("16:05", never "4:05 PM"). One format for
# people: the short formats are the long ones, so no page shows "2026-11-28" beside
# "28 November 2026". ISO dates belong to data exports, which do not use these formats.
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
FIRST_DAY_OF_WEEK = 1  # Monday
# Dates typed as text are read day first, as they are written here (chorus.web.dates asks for
# the day, the month and the year in three boxes, in that order).
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %m %Y", "%d %B %Y", "%d %b %Y", "%Y-%m-%d"]
DATETIME_INPUT_FORMATS = ["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
