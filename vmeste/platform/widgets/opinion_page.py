"""The opinion widget's page: each open poll with a form of its questions and each open
vote with its ballot, rendered on the server with every label in place, so the page
reads and works by keyboard before and without its script's help; the script only
gathers the answers and sends them through ``submitPollResponse`` and ``castBallot``.
"""

from __future__ import annotations

from html import escape

from strawberry import relay

from vmeste.platform.html_pages import html_page
from vmeste.platform.i18n import _, current
from vmeste.platform.polls.models import Poll, PollQuestion, QuestionKind
from vmeste.platform.reference.models import Organization, Territory
from vmeste.platform.settings import Settings
from vmeste.platform.votes.models import Vote, VoteOption
from vmeste.platform.widgets import opinion
from vmeste.platform.widgets.models import Widget
from vmeste.platform.widgets.page import (
    frame_header,
    frame_texts,
    json_for_script,
    sign_in,
    template,
)


def _gid(type_name: str, pk: int) -> str:
    """The GraphQL id the mutations take."""
    return relay.to_base64(type_name, pk)


def _choice(kind: str, name: str, value: str, label: str, ident: str) -> str:
    return (f'<label class="vw-choice" for="{ident}"><input type="{kind}" id="{ident}" '
            f'name="{escape(name)}" value="{escape(value)}"> {escape(label)}</label>')


def _required(question: PollQuestion) -> str:
    if not question.required:
        return ""
    mark = escape(_("required"))
    return f' <span class="vw-hint">({mark})</span>'


def _question(question: PollQuestion) -> str:
    """One question as a fieldset (or a labelled field), its answer inputs named after it."""
    qid, kind = question.id, QuestionKind(question.kind)
    name, title = f"q{qid}", escape(question.title)
    show = ""
    if question.show_if:
        show = (f' data-show-position="{int(question.show_if["question"])}" '
                f'data-show-any="{escape(" ".join(question.show_if["anyOf"]))}" hidden')
    head = (f'<fieldset class="vw-field vw-question" data-question="{qid}" '
            f'data-position="{question.position}" data-kind="{kind.value}"'
            f'{" data-required" if question.required else ""}{show}>'
            f'<legend>{title}{_required(question)}</legend>')
    if kind == QuestionKind.TEXT:
        label = escape(_("Your answer"))
        return (head + f'<label for="{name}-text" class="vw-hint">{label}'
                f'</label><textarea id="{name}-text" name="{name}" rows="3" '
                f'maxlength="2000"></textarea></fieldset>')
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        box = "radio" if kind == QuestionKind.SINGLE else "checkbox"
        return head + "".join(_choice(box, name, c["key"], c["title"], f"{name}-{i}")
                              for i, c in enumerate(question.choices)) + "</fieldset>"
    if kind == QuestionKind.SCALE:
        low, high = question.scale_min or 1, question.scale_max or 5
        return head + "".join(_choice("radio", name, str(v), str(v), f"{name}-{v}")
                              for v in range(low, high + 1)) + "</fieldset>"
    if kind == QuestionKind.RANKING:
        places = "".join(f'<option value="{n}">{n}</option>'
                         for n in range(1, len(question.choices) + 1))
        hint = escape(_("Give each a place: 1 is first."))
        return head + f'<p class="vw-hint">{hint}</p>' + (
            "".join(f'<label class="vw-choice" for="{name}-{i}">{escape(c["title"])} '
                    f'<select id="{name}-{i}" name="{name}" data-key="{escape(c["key"])}">'
                    f'<option value="">—</option>{places}</select></label>'
                    for i, c in enumerate(question.choices))) + "</fieldset>"
    rows = "".join(
        f'<fieldset class="vw-row" data-row="{escape(r["key"])}"><legend>{escape(r["title"])}'
        f'</legend>' + "".join(_choice("radio", f"{name}-{r['key']}", c["key"], c["title"],
                                       f"{name}-{j}-{i}")
                               for i, c in enumerate(question.choices)) + "</fieldset>"
        for j, r in enumerate(question.rows))
    return head + rows + "</fieldset>"


def _item(heading: str, title: str, description: str, form: str, fields: str,
          button: str) -> str:
    """A poll or a vote: its heading, its description, and its form (``form`` holds the
    form's data attributes) with ``fields``, a send button and its own status line."""
    intro = f'<p class="vw-intro">{escape(description)}</p>' if description else ""
    return (f'<section class="vw-panel vw-item" aria-labelledby="{heading}">'
            f'<h2 id="{heading}">{escape(title)}</h2>{intro}'
            f'<form class="vw-opinion" {form} novalidate>{fields}'
            f'<button type="submit" class="vw-primary">{escape(button)}</button>'
            f'<p class="vw-status" role="status" aria-live="polite"></p></form></section>')


def _poll(poll: Poll, questions: list[PollQuestion]) -> str:
    return _item(f"vw-poll-{poll.id}", poll.title, poll.description,
                 f'data-poll="{_gid("Poll", poll.id)}"',
                 "".join(_question(q) for q in questions), _("Send my answers"))


def _option(vote: Vote, option: VoteOption, index: int) -> str:
    ident, name = f"v{vote.id}-{index}", f"v{vote.id}"
    cost = ""
    if option.cost is not None:
        roubles = escape(_("{cost} roubles", cost=option.cost))
        cost = f' <span class="vw-hint">{roubles}</span>'
    value = _gid("VoteOption", option.id)
    if vote.method == "cumulative":
        most = vote.max_points_per_option or vote.points or 0
        return (f'<label class="vw-choice" for="{ident}">{escape(option.title)}{cost} '
                f'<input type="number" id="{ident}" name="{name}" value="0" min="0" '
                f'max="{most}" data-option="{value}"></label>')
    box = "radio" if vote.method == "single" else "checkbox"
    return (f'<label class="vw-choice" for="{ident}"><input type="{box}" id="{ident}" '
            f'name="{name}" value="{value}"> {escape(option.title)}{cost}</label>')


def _rules(vote: Vote) -> str:
    if vote.method == "single":
        return _("Choose one.")
    if vote.method == "approval":
        return _("Choose up to {limit}.", limit=vote.max_choices or "∞")
    if vote.method == "cumulative":
        return _("Spread up to {points} points.", points=vote.points or 0)
    return _("Choose projects within the budget of {budget} roubles.", budget=vote.budget or 0)


def _vote(vote: Vote, options: list[VoteOption]) -> str:
    fields = (f'<fieldset class="vw-field"><legend>{escape(_rules(vote))}</legend>'
              + "".join(_option(vote, o, i) for i, o in enumerate(options)) + "</fieldset>")
    return _item(f"vw-vote-{vote.id}", vote.title, vote.description,
                 f'data-vote="{_gid("Vote", vote.id)}" data-method="{escape(vote.method)}"',
                 fields, _("Cast my ballot"))


def opinion_texts() -> dict[str, str]:
    """What the opinion script writes itself."""
    return {
        **frame_texts(),
        "answerRequired": _("Answer the questions marked required."),
        "chooseSomething": _("Choose at least one option."),
        "answered": _("Thank you: your answers are counted."),
        "voted": _("Thank you: your ballot is cast. Keep its receipt: {receipt}"),
        "refused": _("Not accepted: {reason}"),
    }


async def opinion_page(widget: Widget, settings: Settings, base_url: str, origin: str) -> str:
    polls = await opinion.offered_polls(widget)
    votes = await opinion.offered_votes(widget)
    questions = await opinion.questions_of(polls)
    options = await opinion.options_of(votes)
    items = "".join(_poll(p, questions[p.id]) for p in polls) + "".join(
        _vote(v, options[v.id]) for v in votes)
    if not items:
        none = escape(_("There are no open polls or votes now."))
        items = f'<p class="vw-panel">{none}</p>'
    territory = await Territory.get(id=widget.territory_id)
    organization = (await Organization.get(id=widget.organization_id)
                    if widget.organization_id is not None else None)
    config = {"key": widget.public_key, "colour": widget.colour, "origin": origin,
              "graphql": f"{base_url}/graphql",
              "submissions": f"{base_url}/widgets/{widget.public_key}/submissions",
              "signIn": sign_in(settings, base_url), "texts": opinion_texts()}
    body = template("opinion.html").format(
        header=frame_header(widget, organization.name if organization else territory.name,
                            _("Sign in to answer polls and vote: who may take part comes "
                              "from your verified profile.")),
        items=items, l_signout=escape(_("Sign out")),
        config=json_for_script(config))
    return html_page(current(), widget.title, body, "/widgets/static/frame-common.js",
                     "/widgets/static/opinion.js")
