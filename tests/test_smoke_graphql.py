from vmeste.platform.reference.models import Territory


async def seed():
    ru = await Territory.create(code="RU", name="Россия", kind="country",
                                timezone="Europe/Moscow", path="RU")
    await Territory.create(code="33000000", name="Кировская область", kind="region",
                           timezone="Europe/Kirov", parent=ru, path="RU/33000000")


async def test_me_and_territories(graphql, make_token):
    await seed()
    token = await make_token("regional_admin", territory="33000000")
    body = await graphql("{ me { subject roles { role territory { code } } } "
                         "territories(first: 1) { totalCount edges { cursor node { code "
                         "parent { code } } } pageInfo { hasNextPage } } }", token=token)
    assert "errors" not in body, body
    assert body["data"]["me"]["roles"] == [{"role": "REGIONAL_ADMIN",
                                            "territory": {"code": "33000000"}}]
    assert body["data"]["territories"]["totalCount"] == 2
