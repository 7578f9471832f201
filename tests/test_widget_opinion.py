"""The "give an opinion" widget: configured with the territory's open polls and votes
(or chosen ones), its page listing them with a labelled form for each poll's
questions and each vote's ballot, answered through the platform's own mutations, and
its submissions counted once by whoever holds the response or the ballot."""

from __future__ import annotations

import pytest_asyncio
from strawberry import relay

from tests.poll_world import organised, services_of
from tests.vote_world import draft_vote, voter
from tests.widget_world import ALLOWED, WidgetWorld, seed_widget_world
from tests.worlds import MUNICIPALITY_A, REGION_B, ok_data
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.polls.models import Poll, PollQuestion
from vmeste.platform.polls.models import QuestionKind as K
from vmeste.platform.polls.questions import Choice, QuestionInput
from vmeste.platform.reference.models import Organization
from vmeste.platform.votes.models import Vote, VoteOption
from vmeste.platform.widgets.configuration import WidgetInput, create_widget
from vmeste.platform.widgets.models import Widget, WidgetKind, WidgetPlacement

CREATE = """mutation($i: CreateWidgetInput!) { createWidget(input: $i) {
  widget { id kind pollIds voteIds categoryCodes } userErrors { field code } } }"""
RESPOND = """mutation($i: SubmitPollResponseInput!) { submitPollResponse(input: $i) {
  response { id } userErrors { field code message } } }"""
CAST = """mutation($i: CastBallotInput!) { castBallot(input: $i) {
  ballot { id receipt } userErrors { field code message } } }"""
QUESTIONS = [QuestionInput(K.SINGLE, "Что благоустроить?",
                           choices=(Choice("a", "Парк"), Choice("b", "Сквер"))),
             QuestionInput(K.TEXT, "Ваши предложения", required=False)]


@pytest_asyncio.fixture
async def widgets(world) -> WidgetWorld:
    return await seed_widget_world()


async def _opinion_widget(*, polls: tuple[int, ...] = (), votes: tuple[int, ...] = ()
                          ) -> Widget:
    body = await Organization.get(id=(await Widget.first()).organization_id)
    return await create_widget(SYSTEM, WidgetInput(
        title="Выскажите мнение", category_codes=(), kind=WidgetKind.OPINION,
        allowed_origins=(ALLOWED,), organization_id=body.id, poll_ids=polls, vote_ids=votes),
        dev_mode=True)


async def _frame(client, widget: Widget) -> str:
    response = await client.get(f"/widgets/{widget.public_key}/frame?origin={ALLOWED}",
                                headers={"Referer": ALLOWED + "/", "Sec-Fetch-Dest": "iframe"})
    assert response.status_code == 200
    assert response.headers["content-security-policy"].endswith(f"frame-ancestors {ALLOWED}")
    return response.text


async def test_the_page_lists_the_territorys_open_polls_and_votes(client, vmeste_app,
                                                                  widgets) -> None:
    services = services_of(vmeste_app)
    poll = await organised(services, territory=MUNICIPALITY_A, questions=QUESTIONS,
                           title="Двор на Ленина")
    await organised(services, territory=MUNICIPALITY_A, questions=QUESTIONS,
                    title="Черновик", open_it=False)
    await organised(services, territory=REGION_B, questions=QUESTIONS, title="Чужой регион")
    vote = await draft_vote(territory=MUNICIPALITY_A, title="Какой сквер обновить")
    widget = await _opinion_widget()
    page = await _frame(client, widget)
    assert "Двор на Ленина" in page and "Какой сквер обновить" in page
    assert "Черновик" not in page and "Чужой регион" not in page
    single = await PollQuestion.get(poll_id=poll.id, position=0)
    assert f'<label class="vw-choice" for="q{single.id}-0">' in page
    assert f'id="q{single.id}-0" name="q{single.id}" value="a"> Парк</label>' in page
    option = await VoteOption.filter(vote_id=vote.id).order_by("position").first()
    assert f'value="{relay.to_base64("VoteOption", option.id)}"> Объект 1' in page
    assert "/widgets/static/opinion.js" in page and 'lang="ru"' in page
    assert "Отправить ответы" in page and "Проголосовать" in page
    assert [(r.origin, r.opens) for r in await WidgetPlacement.filter(
        widget_id=widget.id)] == [(ALLOWED, 1)]


async def test_chosen_polls_only_and_only_of_the_territory(client, vmeste_app, graphql,
                                                           make_token, widgets) -> None:
    services = services_of(vmeste_app)
    chosen = await organised(services, territory=MUNICIPALITY_A, questions=QUESTIONS,
                             title="Выбранный")
    await organised(services, territory=MUNICIPALITY_A, questions=QUESTIONS, title="Другой")
    foreign = await organised(services, territory=REGION_B, questions=QUESTIONS)
    admin = await make_token("org_admin", org=widgets.city_admin)
    body = await Organization.get(ogrn=widgets.city_admin)
    base = {"title": "Мнение", "categoryCodes": [], "allowedOrigins": [ALLOWED],
            "kind": "OPINION", "organizationId": relay.to_base64("Organization", body.id)}
    made = ok_data(await graphql(CREATE, {"i": {
        **base, "pollIds": [relay.to_base64("Poll", chosen.id)]}}, token=admin))
    assert made["createWidget"]["userErrors"] == []
    assert made["createWidget"]["widget"]["kind"] == "OPINION"
    page = await _frame(client, await Widget.get(kind=WidgetKind.OPINION))
    assert "Выбранный" in page and "Другой" not in page
    refused = ok_data(await graphql(CREATE, {"i": {
        **base, "pollIds": [relay.to_base64("Poll", foreign.id)]}}, token=admin))
    assert refused["createWidget"]["userErrors"] == [{"field": "pollIds", "code": "NOT_FOUND"}]
    appeal = ok_data(await graphql(CREATE, {"i": {
        **base, "kind": "APPEAL", "categoryCodes": ["roads"],
        "pollIds": [relay.to_base64("Poll", chosen.id)]}}, token=admin))
    assert appeal["createWidget"]["userErrors"] == [{"field": "pollIds", "code": "INVALID"}]
    categories = ok_data(await graphql(CREATE, {"i": {**base, "categoryCodes": ["roads"]}},
                                       token=admin))
    assert categories["createWidget"]["userErrors"] == [
        {"field": "categoryCodes", "code": "INVALID"}]


async def test_an_answer_and_a_ballot_are_counted_once_by_their_holder(
        client, vmeste_app, graphql, db, widgets) -> None:
    poll = await organised(services_of(vmeste_app), territory=MUNICIPALITY_A,
                           questions=QUESTIONS)
    vote = await draft_vote(territory=MUNICIPALITY_A)
    widget = await _opinion_widget()
    token = await voter(db, "widget-resident")
    question = await PollQuestion.get(poll_id=poll.id, position=0)
    answered = ok_data(await graphql(RESPOND, {"i": {
        "pollId": relay.to_base64("Poll", poll.id),
        "answers": [{"questionId": question.id, "choiceKeys": ["b"]}]}}, token=token))
    assert answered["submitPollResponse"]["userErrors"] == []
    response_id = answered["submitPollResponse"]["response"]["id"]
    option = await VoteOption.filter(vote_id=vote.id).first()
    cast = ok_data(await graphql(CAST, {"i": {
        "voteId": relay.to_base64("Vote", vote.id),
        "choices": [{"optionId": relay.to_base64("VoteOption", option.id)}]}}, token=token))
    assert cast["castBallot"]["userErrors"] == []
    ballot = cast["castBallot"]["ballot"]

    url = f"/widgets/{widget.public_key}/submissions"
    headers = {"Authorization": f"Bearer {token}"}
    reports = [{"pollResponseId": response_id}, {"pollResponseId": response_id},
               {"ballotId": ballot["id"], "receipt": ballot["receipt"]}]
    answers = [(await client.post(url, json={**r, "origin": ALLOWED}, headers=headers)).json()
               for r in reports]
    assert answers == [{"counted": True}, {"counted": False}, {"counted": True}]
    forged = await client.post(url, json={"ballotId": ballot["id"], "receipt": "0" * 64,
                                          "origin": ALLOWED}, headers=headers)
    assert forged.status_code == 404
    bad = await client.post(url, json={"pollResponseId": "nope", "origin": ALLOWED},
                            headers=headers)
    assert bad.status_code == 400 and bad.json()["errors"][0]["extensions"]["code"] == "INVALID"
    anonymous = await client.post(url, json={"pollResponseId": response_id, "origin": ALLOWED})
    assert anonymous.status_code == 401
    assert [(r.origin, r.submissions) for r in await WidgetPlacement.filter(
        widget_id=widget.id)] == [(ALLOWED, 2)]


async def test_a_refusal_of_the_mutation_is_typed(graphql, vmeste_app, db, widgets) -> None:
    poll = await organised(services_of(vmeste_app), territory=MUNICIPALITY_A,
                           questions=QUESTIONS)
    outsider = await voter(db, "widget-outsider", verified=False)
    question = await PollQuestion.get(poll_id=poll.id, position=0)
    refused = ok_data(await graphql(RESPOND, {"i": {
        "pollId": relay.to_base64("Poll", poll.id),
        "answers": [{"questionId": question.id, "choiceKeys": ["a"]}]}}, token=outsider))
    errors = refused["submitPollResponse"]["userErrors"]
    assert [e["code"] for e in errors] == ["NOT_ELIGIBLE"] and errors[0]["message"]
    assert await Poll.filter(id=poll.id).exists() and await Vote.all().count() == 0
