from vmeste.platform.reference.models import Territory, TerritoryKind


async def test_tables_start_empty_and_accept_rows(db):
    assert await Territory.all().count() == 0
    await Territory.create(code="RU", name="Россия", kind=TerritoryKind.COUNTRY,
                           timezone="Europe/Moscow", path="RU")
    assert await Territory.filter(code="RU").exists()


async def test_each_test_gets_empty_tables(db):
    assert await Territory.all().count() == 0
