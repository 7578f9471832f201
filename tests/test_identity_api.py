"""The caller's own identity through GraphQL (``me``) and users as Relay nodes: a
person's global id is visible to themself and to the staff who manage their body."""

from strawberry import relay

from tests.worlds import ORG_A, ORG_B, ok_data
from vmeste.platform.identity.dev_issuer import DEV_ISSUER
from vmeste.platform.identity.models import User

ME = "{ me { id subject issuer } }"
NODE = "query($id: ID!) { node(id: $id) { ... on User { id subject lastName } } }"


async def test_me_names_the_token_issuer_and_the_global_id(graphql, world, make_token):
    token = await make_token("citizen", sub="ivanova")
    user = await User.get(subject="ivanova")

    me = ok_data(await graphql(ME, token=token))["me"]

    assert me == {"id": relay.to_base64("User", user.id), "subject": "ivanova",
                  "issuer": DEV_ISSUER}


async def test_a_user_node_is_visible_to_themself_and_to_managers_of_their_body(
        graphql, world, make_token):
    executor = await make_token("executor", org=ORG_A, sub="petrov")
    managers = [await make_token("operator", org=ORG_A, sub="op-a"),
                await make_token("org_admin", org=ORG_A, sub="admin-a")]
    strangers = [await make_token("operator", org=ORG_B, sub="op-b"),
                 await make_token("executor", org=ORG_A, sub="colleague"),
                 await make_token("citizen", sub="ivanova"), None]
    node_id = ok_data(await graphql(ME, token=executor))["me"]["id"]

    for token in (executor, *managers):
        found = ok_data(await graphql(NODE, {"id": node_id}, token=token))["node"]
        assert found["subject"] == "petrov" and found["id"] == node_id
    for token in strangers:
        assert ok_data(await graphql(NODE, {"id": node_id}, token=token))["node"] is None
    for bad in (relay.to_base64("User", "x1"), relay.to_base64("User", 2**40)):
        assert ok_data(await graphql(NODE, {"id": bad}, token=managers[0]))["node"] is None
