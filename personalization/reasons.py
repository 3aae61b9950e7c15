"""
Plan steps' reasons in words. A step stores a code and its arguments; the sentence is made when
it is shown, in the reader's language.
"""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def _quoted(names) -> str:
    return ", ".join(f"“{name}”" for name in names)


def _weak_point(args: dict) -> str:
    values = {"point": args["point"], "mastery": f"{args['mastery']:.2f}"}
    if args.get("assessment"):
        text = _("Your mastery of “%(point)s” is %(mastery)s after “%(assessment)s”.")
        values["assessment"] = args["assessment"]
    else:
        text = _("Your mastery of “%(point)s” is %(mastery)s.")
    text %= values
    if args.get("lesson"):
        text += " " + _("Review lesson %(lesson)s and practise.") % {"lesson": args["lesson"]}
    else:
        text += " " + _("Review it and practise.")
    if args.get("exam_in_days") is not None:
        text += " " + _exam(args["exam_in_days"])
    return text


def _exam(days: int) -> str:
    return ngettext("Your exam is in %(days)d day.", "Your exam is in %(days)d days.", days) % {
        "days": days
    }


def _practice(args: dict) -> str:
    return ngettext(
        "A practice set of %(count)d question on %(points)s, drawn from the course's bank for "
        "your weak points.",
        "A practice set of %(count)d questions on %(points)s, drawn from the course's bank for "
        "your weak points.",
        args["questions"],
    ) % {"count": args["questions"], "points": _quoted(args["points"])}


def _spaced(args: dict) -> str:
    text = ngettext(
        "You last practised “%(point)s” %(days)d day ago: your estimated recall has dropped "
        "to %(recall)s.",
        "You last practised “%(point)s” %(days)d days ago: your estimated recall has dropped "
        "to %(recall)s.",
        args["days"],
    ) % {"point": args["point"], "days": args["days"], "recall": f"{args['recall']:.2f}"}
    if args.get("lesson"):
        text += " " + _("A short review of lesson %(lesson)s keeps it.") % {
            "lesson": args["lesson"]
        }
    return text


def _ready(args: dict) -> str:
    return _(
        "You are ready for lesson %(lesson)s: you have mastered its prerequisites %(points)s."
    ) % {
        "lesson": args["lesson"],
        "points": _quoted(args["points"]),
    }


def _next_in_course(args: dict) -> str:
    return _("Lesson %(lesson)s is next in “%(course)s”.") % args


def _teacher(args: dict) -> str:
    return args.get("note") or _("Added by your teacher.")


_REASONS = {
    "weak_point": _weak_point,
    "practice": _practice,
    "spaced": _spaced,
    "ready": _ready,
    "next_in_course": _next_in_course,
    "teacher": _teacher,
}


def reason_text(code: str, args: dict) -> str:
    """The step's reason as a sentence; course recommendations word their own."""
    explain = _REASONS.get(code)
    if explain is not None:
        return explain(args)
    from personalization.recommend import recommendation_reason_text

    return recommendation_reason_text(code, args)
