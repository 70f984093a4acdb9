"""The guidance every organization starts with, in English and Spanish.

Written for the person who is told ("I believe you, I just don't know what to do"): a
friend, a colleague, a housemate, a union rep. Each organization then edits it in its own
voice; these words are only the first version of each page.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Text:
    title: str
    summary: str
    body: str


@dataclass(frozen=True)
class StartingPage:
    slug: str
    shows_resources: bool
    texts: dict[str, Text]


WHEN_TOLD_EN = """\
Someone chose you. That is a sign of trust, even if it does not feel like it right now.
You do not need to be an expert, and you do not need to fix anything today.

## What you can say

- "Thank you for telling me."
- "I believe you."
- "It is not your fault."
- "You don't have to decide anything now."
- "What would help you right now?"

## Listen more than you talk

Let them tell it in their own way and at their own pace. Silences are fine. You do not need
every detail, and you should not ask for them: how it happened matters less than how they
are now.

## If the person is someone you both know

It can be hard to hear this about a friend, a colleague or someone you admire. You can feel
shocked, sad or angry, and still believe the person in front of you. "But he's a friend of
mine" is a feeling to take somewhere else, later: not something to say to the person who
trusted you.

## Check their safety

Ask whether they are safe now, and whether there is anything they need today: somewhere to
stay, someone to walk with them, a change of shift. If someone is in immediate danger, call
the emergency services.
"""

WHEN_TOLD_ES = """\
Te ha elegido a ti. Es una muestra de confianza, aunque ahora mismo no lo parezca.
No necesitas ser experta ni experto, ni tienes que resolver nada hoy.

## Qué puedes decir

- «Gracias por contármelo.»
- «Te creo.»
- «No es culpa tuya.»
- «No tienes que decidir nada ahora.»
- «¿Qué te ayudaría en este momento?»

## Escucha más de lo que hablas

Deja que lo cuente a su manera y a su ritmo. Los silencios están bien. No necesitas todos
los detalles y no deberías pedirlos: importa menos cómo pasó que cómo está ahora.

## Si es alguien que ambos conocéis

Puede ser difícil oír esto sobre una amistad, un compañero de trabajo o alguien a quien
admiras. Puedes sentir sorpresa, tristeza o rabia y, aun así, creer a quien tienes delante.
«Pero es mi amigo» es un sentimiento que puedes llevar a otra parte, más tarde: no algo que
decirle a quien confió en ti.

## Pregunta por su seguridad

Pregunta si ahora está a salvo y si necesita algo hoy: un lugar donde quedarse, alguien que
le acompañe, un cambio de turno. Si alguien corre peligro inmediato, llama a los servicios de
emergencia.
"""

NOT_TO_DO_EN = """\
Most harm after a disclosure is done by people who meant well. These are the things that
hurt most often.

## Don't question their account

Asking "Are you sure?", "Why didn't you leave?" or "What were you wearing?" tells them you
doubt them. People react to harassment and assault in many ways: freezing, going along,
staying friendly, saying nothing for years. None of it means it did not happen.

## Don't take over

Do not report it, confront anyone or tell others without their agreement. What happens next
is their decision: taking it away repeats what was done to them.

## Don't minimise or compare

"That's just how he is", "It could have been worse" or stories about what happened to
someone else move the attention away from them.

## Don't spread it

Keep what they told you to yourself. If you need support yourself, talk to an advocate or a
helpline without naming them.

## Don't carry it alone, and don't make them carry you

It is fine to be upset. Find your own support elsewhere so that they do not end up looking
after you.
"""

NOT_TO_DO_ES = """\
Mucho del daño que sigue a una revelación lo causan personas con buena intención. Estas son
las cosas que más duelen.

## No pongas en duda su relato

Preguntar «¿Estás segura?», «¿Por qué no te fuiste?» o «¿Qué llevabas puesto?» le dice que
dudas. Las personas reaccionan al acoso y a la agresión de muchas maneras: quedarse
paralizadas, seguir la corriente, mostrarse amables, callar durante años. Nada de eso
significa que no ocurriera.

## No tomes el control

No lo denuncies, no confrontes a nadie ni se lo cuentes a otras personas sin su acuerdo. Lo
que pase después lo decide ella o él: quitarle esa decisión repite lo que le hicieron.

## No le restes importancia ni compares

«Él es así», «Podría haber sido peor» o contar lo que le pasó a otra persona desvían la
atención de quien te lo ha contado.

## No lo difundas

Guarda para ti lo que te contó. Si tú también necesitas apoyo, habla con una persona de
acompañamiento o con una línea de ayuda sin decir de quién se trata.

## No lo cargues sola o solo, ni hagas que te cargue

Es normal que te afecte. Busca tu propio apoyo en otra parte para que no termine cuidándote
a ti.
"""

FRIEND_EN = """\
Sometimes the person who caused harm is your friend. If the person who was harmed wants
someone to talk to him, and asks you, you may be one of the few people he will listen to.
Only do this if that is what she needs, and agree with her first what you will say and what
you will not.

## Before you talk

- Ask her what she wants him to hear, and what must stay private. Never pass on what she did
  not agree to share, and never say who told you if she asked you not to.
- Decide what you want from the conversation: that he stops, stays away, or takes
  responsibility. Not that he explains himself to you.
- Choose a private, calm moment, not a party or a group chat.

## During the conversation

- Name the behaviour, not the person: "What you did at the party was not okay" rather than
  "You are a creep".
- Expect defensiveness: "It was a joke", "She's overreacting", "You don't know the whole
  story". You do not have to win the argument. Repeat what needs to change.
- Do not negotiate what happened, and do not carry messages back and forth.

## Accountability is a path

People who caused harm can change, and friends can help them do it: by not excusing it,
by expecting repair, and by staying in touch while he does the work. Chorus lets someone
who crossed a line ask for a repair process themselves; an advocate can explain how.

## Look after yourself

This is hard and can cost you a friendship. Talk it over with an advocate before and after.
"""

FRIEND_ES = """\
A veces quien causó el daño es alguien de tu círculo cercano. Si la persona que sufrió el daño
quiere que alguien le hable y te lo pide, puede que seas de las pocas personas a quienes
escuche. Hazlo solo si es lo que ella o él necesita, y acordad antes qué dirás y qué no.

## Antes de hablar

- Pregúntale qué quiere que oiga y qué debe quedar en privado. No transmitas nada que no
  haya aceptado compartir, ni digas quién te lo contó si te pidió que no lo hicieras.
- Decide qué quieres conseguir: que pare, que se mantenga lejos o que asuma su
  responsabilidad. No que se justifique ante ti.
- Elige un momento tranquilo y en privado, no una fiesta ni un chat de grupo.

## Durante la conversación

- Nombra la conducta, no a la persona: «Lo que hiciste en la fiesta no estuvo bien» en lugar
  de «Eres un asqueroso».
- Espera que se ponga a la defensiva: «Era una broma», «Está exagerando», «No sabes toda la
  historia». No tienes que ganar la discusión. Repite qué tiene que cambiar.
- No negocies lo que pasó ni hagas de mensajero entre las dos partes.

## Rendir cuentas es un camino

Las personas que causaron daño pueden cambiar, y las amistades pueden ayudar: sin excusarlo,
esperando que repare el daño y manteniendo el contacto mientras hace ese trabajo. Chorus
permite que quien cruzó un límite pida por su cuenta un proceso de reparación; una persona
de acompañamiento puede explicarte cómo.

## Cuídate

Es difícil y puede costarte una amistad. Habla con una persona de acompañamiento antes y
después.
"""

SUPPORT_EN = """\
The most useful thing you can give is control back. Something was done to them without
their consent; your support should be the opposite.

## Follow their lead

- Offer choices, not instructions: "Would you like me to come with you?" rather than "You
  have to report this."
- Accept their decisions, including the decision to do nothing for now. They can change
  their mind later, and Chorus keeps what they write until they choose.
- Ask before you act, every time, even for small things like telling a manager they will be
  late.

## Practical help that does not take over

- Keep them company when they talk to an advocate, if they want that.
- Help them write down what happened, in their own words, while they remember it. In Chorus
  a record stays private and encrypted until they share it.
- Offer to swap a shift, walk them to the car park, or sit with them at a meeting.

## Keep going

Check in a week later, and a month later. Support often fades just when the practical and
emotional effects become heavier.
"""

SUPPORT_ES = """\
Lo más útil que puedes ofrecer es devolverle el control. Le hicieron algo sin su
consentimiento; tu apoyo debería ser lo contrario.

## Sigue su ritmo

- Ofrece opciones, no órdenes: «¿Quieres que te acompañe?» en lugar de «Tienes que
  denunciarlo».
- Respeta sus decisiones, también la de no hacer nada por ahora. Puede cambiar de opinión
  más adelante, y Chorus guarda lo que escriba hasta que decida.
- Pregunta antes de actuar, siempre, incluso para cosas pequeñas como avisar a una
  responsable de que llegará tarde.

## Ayuda práctica sin tomar el control

- Acompáñale cuando hable con una persona de acompañamiento, si lo desea.
- Ayúdale a escribir lo que pasó, con sus propias palabras, mientras lo recuerda. En Chorus
  un registro queda privado y cifrado hasta que decida compartirlo.
- Ofrece cambiar un turno, acompañarle hasta el aparcamiento o estar a su lado en una
  reunión.

## No desaparezcas

Vuelve a preguntar al cabo de una semana y al cabo de un mes. El apoyo suele desvanecerse
justo cuando los efectos prácticos y emocionales pesan más.
"""

HELP_EN = """\
You do not have to do this alone, and neither do they.

## In an emergency

If someone is in immediate danger, call the local emergency number.

## Your organization's advocates

The advocates are chosen by the organization to support people confidentially, independent
of its leadership. They can talk with the person who was harmed, and with you as a friend,
about the options: support only, a restorative process or a formal complaint.

## Without an account

Anyone can write down what happened without giving a name, from the welcome page: they get
a receipt instead of a password, and can exchange messages with the advocates.

## Services outside the organization

The services below are listed by the organization. Check their hours before you call.
"""

HELP_ES = """\
No tienes que hacerlo sola ni solo, y la otra persona tampoco.

## En una emergencia

Si alguien corre peligro inmediato, llama al número de emergencias de tu zona.

## Las personas de acompañamiento de tu organización

La organización elige a estas personas para ofrecer apoyo confidencial, con independencia de
su dirección. Pueden hablar con la persona que sufrió el daño, y contigo como amistad, sobre
las opciones: solo apoyo, un proceso restaurativo o una queja formal.

## Sin cuenta

Cualquiera puede escribir lo que pasó sin dar su nombre desde la página de bienvenida: recibe
un recibo en lugar de una contraseña y puede intercambiar mensajes con las personas de
acompañamiento.

## Servicios fuera de la organización

La organización mantiene la lista de servicios que aparece abajo. Comprueba su horario antes
de llamar.
"""

STARTING_PAGES: tuple[StartingPage, ...] = (
    StartingPage(
        "when-a-friend-tells-you",
        False,
        {
            "en": Text("When a friend tells you", "What to say, and how to listen.", WHEN_TOLD_EN),
            "es": Text("Cuando alguien te lo cuenta", "Qué decir y cómo escuchar.", WHEN_TOLD_ES),
        },
    ),
    StartingPage(
        "what-not-to-do",
        False,
        {
            "en": Text("What not to do", "The reactions that hurt most, even when meant well.", NOT_TO_DO_EN),
            "es": Text("Qué no hacer", "Las reacciones que más duelen, aunque tengan buena intención.", NOT_TO_DO_ES),
        },
    ),
    StartingPage(
        "talking-to-a-friend-who-caused-harm",
        False,
        {
            "en": Text(
                "Talking to a friend about his behaviour",
                "If the person who was harmed wants it: how to name what he did.",
                FRIEND_EN,
            ),
            "es": Text(
                "Hablar con alguien cercano sobre lo que hizo",
                "Si la persona que sufrió el daño lo quiere: cómo nombrar la conducta.",
                FRIEND_ES,
            ),
        },
    ),
    StartingPage(
        "support-without-taking-over",
        False,
        {
            "en": Text("Supporting without taking over", "Giving back control, and practical help.", SUPPORT_EN),
            "es": Text("Apoyar sin tomar el control", "Devolver el control y ofrecer ayuda práctica.", SUPPORT_ES),
        },
    ),
    StartingPage(
        "where-to-get-help",
        True,
        {
            "en": Text("Where to get help", "Advocates, emergencies and services outside the organization.", HELP_EN),
            "es": Text(
                "Dónde encontrar ayuda", "Acompañamiento, emergencias y servicios fuera de la organización.", HELP_ES
            ),
        },
    ),
)
