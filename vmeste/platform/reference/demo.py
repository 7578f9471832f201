"""A deterministic demo data set: two regions, their bodies and a national rubricator.

``vmeste demo`` and every UI screenshot start from this data, so it has to look like
the real thing (ОКТМО-shaped codes, valid ОГРН/ИНН, bodies of every level with sensible
parents) while staying obviously fictional: registry numbers are generated and every
contact lives under the reserved ``.example`` domain.

The rows are generated in the CSV shape and loaded through
:func:`vmeste.platform.reference.importers.upsert_rows`, so the demo obeys exactly the
rules an administrator's spreadsheet does, and loading it twice changes nothing.

The Kirov region is the main demo region (the largest tree); Tatarstan is smaller and
exists because it is the worked example of a region with its own holidays.
Municipality codes follow the ОКТМО layout but are not guaranteed to be the official
ones, so never load the demo next to a real ОКТМО import.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from vmeste.platform.csvfiles import SourceRow
from vmeste.platform.reference.boundaries import BoundaryReport
from vmeste.platform.reference.demo_boundaries import load_demo_boundaries
from vmeste.platform.reference.importers import ImportReport, upsert_rows
from vmeste.platform.reference.models import CompetenceLevel, OrganizationKind, TerritoryKind
from vmeste.platform.reference.validators import with_inn_check_digit, with_ogrn_check_digit

DEMO_SEED = 2026
COUNTRY_CODE = "RU"
#: The region with the full tree; the tests hold the data set to its minimum counts.
DEMO_REGION_CODE = "33000000"
#: A data row's position in the equivalent CSV file (line 1 is the header), so that a
#: validation error in generated data points where it would in an exported file.
_FIRST_LINE = 2


@dataclass(frozen=True, slots=True)
class DemoDataset:
    territories: tuple[SourceRow, ...]
    organizations: tuple[SourceRow, ...]
    categories: tuple[SourceRow, ...]


@dataclass(frozen=True, slots=True)
class DemoSummary:
    territories: ImportReport
    organizations: ImportReport
    categories: ImportReport
    boundaries: BoundaryReport


async def load_demo_data(*, actor: str = "demo") -> DemoSummary:
    """Upsert the demo data set in one transaction, then the demo's boundaries through
    the boundaries importer (in its own); a second call changes nothing."""
    dataset = build_demo_dataset()
    async with in_transaction() as connection:
        # Bodies refer to territories, so territories go first.
        territories = await upsert_rows(
            "territories", dataset.territories, actor=actor, connection=connection)
        categories = await upsert_rows(
            "categories", dataset.categories, actor=actor, connection=connection)
        organizations = await upsert_rows(
            "organizations", dataset.organizations, actor=actor, connection=connection)
    boundaries = await load_demo_boundaries(actor=actor)
    return DemoSummary(territories=territories, organizations=organizations,
                       categories=categories, boundaries=boundaries)


def build_demo_dataset(seed: int = DEMO_SEED) -> DemoDataset:
    """The demo rows; the same seed always gives identical rows."""
    builder = _Builder(random.Random(seed))
    country = builder.territory(COUNTRY_CODE, "Россия", TerritoryKind.COUNTRY, None,
                                "Europe/Moscow")
    federal = builder.federal_bodies(country)
    for region in _REGIONS:
        builder.region(region, country, federal)
    categories = tuple(
        SourceRow(line, {"code": code, "name": name, "parent_code": parent,
                         "competence_level": level})
        for line, (code, name, parent, level) in enumerate(_category_rows(), _FIRST_LINE)
    )
    return DemoDataset(
        territories=tuple(builder.territories),
        organizations=tuple(builder.organizations),
        categories=categories,
    )


# --- source data -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Municipality:
    code: str
    name: str
    genitive: str
    #: Feminine adjective, for "… центральная районная больница", "… библиотечная система".
    adjective: str
    centre: str
    slug: str
    phone_code: str
    postcode: str
    #: An urban okrug: a city hospital instead of a district one, and more schools.
    city: bool


@dataclass(frozen=True, slots=True)
class _Region:
    code: str
    name: str
    genitive: str
    #: After "по" and "в": "по Кировской области", "в Республике Татарстан".
    dative: str
    timezone: str
    slug: str
    #: First two digits of ОГРН/ИНН registered here (the tax authority's region code).
    tax_code: str
    phone_code: str
    postcode: str
    capital: str
    #: Role -> body name. Roles may share a body (one ministry for labour and welfare).
    bodies: Mapping[str, str]
    #: Role -> legal-form prefix of the region's own institutions of that role.
    institution_prefixes: Mapping[str, str]
    #: (name, founding role, site slug) of institutions serving the whole region.
    regional_institutions: tuple[tuple[str, str, str], ...]
    #: Title of a municipality's executive body: "Администрация", "Исполнительный комитет".
    municipal_executive: str
    villages: tuple[str, ...]
    municipalities: tuple[_Municipality, ...]


_FEDERAL_BODIES: tuple[tuple[str, str, str | None], ...] = (
    # (slug, name, parent slug): agencies sit under the ministry that supervises them.
    ("mintrans", "Минтранс России", None),
    ("rosavtodor", "Росавтодор", "mintrans"),
    ("rostransnadzor", "Ространснадзор", "mintrans"),
    ("minzdrav", "Минздрав России", None),
    ("minprosvet", "Минпросвещения России", None),
    ("mchs", "МЧС России", None),
    ("mincifry", "Минцифры России", None),
    ("rkn", "Роскомнадзор", "mincifry"),
    ("minstroy", "Минстрой России", None),
    ("mintrud", "Минтруд России", None),
    ("rostrud", "Роструд", "mintrud"),
    ("minkult", "Минкультуры России", None),
    ("minprirody", "Минприроды России", None),
    ("rpn", "Росприроднадзор", "minprirody"),
    ("rospotrebnadzor", "Роспотребнадзор", None),
    ("mvd", "МВД России", None),
    ("economy", "Минэкономразвития России", None),
    ("rosreestr", "Росреестр", "economy"),
    ("minenergo", "Минэнерго России", None),
    ("sfr", "Социальный фонд России", None),
)

#: Territorial offices of federal bodies, one per region: (name template, parent slug).
_FEDERAL_OFFICES: tuple[tuple[str, str], ...] = (
    ("Управление Роспотребнадзора по {region}", "rospotrebnadzor"),
    ("Главное управление МЧС России по {region}", "mchs"),
    ("Управление Роскомнадзора по {region}", "rkn"),
    ("Управление Росреестра по {region}", "rosreestr"),
    ("Государственная инспекция труда в {region}", "rostrud"),
    ("Отделение Социального фонда России по {region}", "sfr"),
    ("Управление МВД России по {region}", "mvd"),
)

_NATIONAL_COMPANIES: tuple[tuple[str, str], ...] = (
    ("ОАО «РЖД»", "rzd"),
    ("АО «Почта России»", "pochta"),
    ("ПАО «Ростелеком»", "rostelecom"),
    ("ПАО «МТС»", "mts"),
    ("ПАО «МегаФон»", "megafon"),
    ("ПАО «ВымпелКом»", "beeline"),
    ("ООО «Т2 Мобайл»", "t2"),
    ("ПАО «Россети»", "rosseti"),
)

_MANAGEMENT_COMPANY_NAMES = (
    "Уютный дом", "Комфорт", "Северная", "Жилсервис", "Надежда", "Домовой",
    "Центральная", "Заречная", "Наш дом", "Гарант", "Партнёр", "Рассвет",
)

_STREETS = (
    "ул. Ленина", "ул. Советская", "ул. Кирова", "ул. Молодёжная", "ул. Школьная",
    "ул. Садовая", "ул. Набережная", "ул. Мира", "ул. Гагарина", "ул. Пушкина",
    "ул. Октябрьская", "ул. Труда", "ул. Луговая", "ул. Горького", "ул. Строителей",
)

_KIROV = _Region(
    code=DEMO_REGION_CODE,
    name="Кировская область",
    genitive="Кировской области",
    dative="Кировской области",
    timezone="Europe/Kirov",
    slug="kirov-obl",
    tax_code="43",
    phone_code="8332",
    postcode="610020",
    capital="г. Киров",
    bodies={
        "government": "Правительство Кировской области",
        "transport": "Министерство транспорта Кировской области",
        "health": "Министерство здравоохранения Кировской области",
        "education": "Министерство образования Кировской области",
        "social": "Министерство социального развития Кировской области",
        "employment": "Управление государственной службы занятости населения "
                      "Кировской области",
        "housing": "Министерство энергетики и жилищно-коммунального хозяйства "
                   "Кировской области",
        "construction": "Министерство строительства Кировской области",
        "culture": "Министерство культуры Кировской области",
        "ecology": "Министерство охраны окружающей среды Кировской области",
        "digital": "Министерство информационных технологий и связи Кировской области",
        "housing-inspection": "Государственная жилищная инспекция Кировской области",
    },
    institution_prefixes={"health": "КОГБУЗ", "social": "КОГАУСО", "employment": "КОГКУ"},
    regional_institutions=(
        ("КОГАУ «Многофункциональный центр предоставления государственных и "
         "муниципальных услуг Кировской области»", "digital", "mfc"),
        ("КОГБУЗ «Кировская областная клиническая больница»", "health", "okb"),
        ("КОГБУК «Кировская областная научная библиотека им. А. И. Герцена»",
         "culture", "herzenlib"),
        ("НКО «Фонд капитального ремонта многоквартирных домов Кировской области»",
         "housing", "fkr"),
        ("КОГКУ «Дорожный комитет Кировской области»", "transport", "dorcom"),
    ),
    municipal_executive="Администрация",
    villages=(
        "с. Ильинское", "с. Никольское", "с. Покровское", "с. Рождественское",
        "с. Спасское", "с. Троицкое", "с. Успенское", "с. Воскресенское",
        "д. Знаменка", "д. Михайловка", "д. Александровка", "с. Петровское",
        "д. Заречье", "д. Берёзовка", "пос. Сосновка", "д. Липовка", "с. Ключи",
        "пос. Мирный", "пос. Октябрьский", "пос. Первомайский", "пос. Речной",
        "д. Луговая", "д. Полевая", "пос. Лесной", "с. Каринка", "д. Бахта",
        "с. Шабры", "с. Пасегово", "с. Бурмакино", "с. Медяны", "с. Чистополье",
        "с. Гирсово", "с. Истобенск", "д. Верходворье", "с. Стрижи", "с. Вожгалы",
        "с. Суводи", "пос. Быстрица", "с. Кстинино", "пос. Синегорье",
    ),
    municipalities=(
        _Municipality("33701000", "городской округ город Киров", "города Кирова",
                      "Кировская", "г. Киров", "kirov", "8332", "610000", True),
        _Municipality("33705000", "городской округ город Вятские Поляны",
                      "города Вятские Поляны", "Вятскополянская", "г. Вятские Поляны",
                      "vpolyany", "83334", "612960", True),
        _Municipality("33707000", "городской округ город Кирово-Чепецк",
                      "города Кирово-Чепецка", "Кирово-Чепецкая", "г. Кирово-Чепецк",
                      "kchepetsk", "83361", "613040", True),
        _Municipality("33710000", "городской округ город Котельнич", "города Котельнича",
                      "Котельничская", "г. Котельнич", "kotelnich", "83342", "612600", True),
        _Municipality("33713000", "городской округ город Слободской", "города Слободского",
                      "Слободская", "г. Слободской", "slobodskoy", "83362", "613150", True),
        _Municipality("33603000", "Арбажский муниципальный округ",
                      "Арбажского муниципального округа", "Арбажская", "пгт Арбаж",
                      "arbazh", "83330", "612180", False),
        _Municipality("33605000", "Белохолуницкий муниципальный район",
                      "Белохолуницкого района", "Белохолуницкая", "г. Белая Холуница",
                      "bholunitsa", "83364", "613200", False),
        _Municipality("33614000", "Зуевский муниципальный район", "Зуевского района",
                      "Зуевская", "г. Зуевка", "zuevka", "83337", "612410", False),
        _Municipality("33622000", "Малмыжский муниципальный район", "Малмыжского района",
                      "Малмыжская", "г. Малмыж", "malmyzh", "83347", "612920", False),
        _Municipality("33626000", "Нолинский муниципальный район", "Нолинского района",
                      "Нолинская", "г. Нолинск", "nolinsk", "83368", "613440", False),
        _Municipality("33628000", "Омутнинский муниципальный район", "Омутнинского района",
                      "Омутнинская", "г. Омутнинск", "omutninsk", "83352", "612740", False),
        _Municipality("33630000", "Оричевский муниципальный район", "Оричевского района",
                      "Оричевская", "пгт Оричи", "orichi", "83354", "612080", False),
        _Municipality("33636000", "Советский муниципальный район", "Советского района",
                      "Советская", "г. Советск", "sovetsk", "83375", "613340", False),
        _Municipality("33644000", "Уржумский муниципальный район", "Уржумского района",
                      "Уржумская", "г. Уржум", "urzhum", "83363", "613530", False),
        _Municipality("33649000", "Яранский муниципальный район", "Яранского района",
                      "Яранская", "г. Яранск", "yaransk", "83367", "612260", False),
    ),
)

_TATARSTAN = _Region(
    code="92000000",
    name="Республика Татарстан",
    genitive="Республики Татарстан",
    dative="Республике Татарстан",
    timezone="Europe/Moscow",
    slug="tatarstan",
    tax_code="16",
    phone_code="843",
    postcode="420060",
    capital="г. Казань",
    bodies={
        "government": "Кабинет Министров Республики Татарстан",
        "transport": "Министерство транспорта и дорожного хозяйства Республики Татарстан",
        "health": "Министерство здравоохранения Республики Татарстан",
        "education": "Министерство образования и науки Республики Татарстан",
        "social": "Министерство труда, занятости и социальной защиты Республики Татарстан",
        "employment": "Министерство труда, занятости и социальной защиты "
                      "Республики Татарстан",
        "housing": "Министерство строительства, архитектуры и жилищно-коммунального "
                   "хозяйства Республики Татарстан",
        "construction": "Министерство строительства, архитектуры и жилищно-коммунального "
                        "хозяйства Республики Татарстан",
        "culture": "Министерство культуры Республики Татарстан",
        "ecology": "Министерство экологии и природных ресурсов Республики Татарстан",
        "digital": "Министерство цифрового развития государственного управления, "
                   "информационных технологий и связи Республики Татарстан",
        "housing-inspection": "Государственная жилищная инспекция Республики Татарстан",
    },
    institution_prefixes={"health": "ГАУЗ", "social": "ГАУСО", "employment": "ГКУ"},
    regional_institutions=(
        ("ГБУ «Многофункциональный центр предоставления государственных и "
         "муниципальных услуг в Республике Татарстан»", "digital", "mfc"),
        ("ГАУЗ «Республиканская клиническая больница»", "health", "rkb"),
        ("ГБУК «Национальная библиотека Республики Татарстан»", "culture", "nlrt"),
        ("НО «Фонд жилищно-коммунального хозяйства Республики Татарстан»",
         "housing", "fjkh"),
    ),
    municipal_executive="Исполнительный комитет",
    villages=(
        "с. Айша", "с. Столбище", "с. Кощаково", "пос. Бирюли", "с. Куюки", "с. Сокуры",
        "с. Большие Кабаны", "с. Высокая Гора", "д. Карадули", "с. Старые Кадеи",
        "с. Большие Ключи", "с. Красный Ключ", "с. Ташлык", "с. Сарманово",
        "с. Русский Акташ", "д. Новое Альметьево", "пос. Татарское Ходяшево",
        "с. Шали", "с. Бишмунча", "пос. Нариманов",
    ),
    municipalities=(
        _Municipality("92701000", "городской округ город Казань", "города Казани",
                      "Казанская", "г. Казань", "kazan", "843", "420111", True),
        _Municipality("92730000", "городской округ город Набережные Челны",
                      "города Набережные Челны", "Набережночелнинская",
                      "г. Набережные Челны", "chelny", "8552", "423800", True),
        _Municipality("92608000", "Альметьевский муниципальный район",
                      "Альметьевского муниципального района", "Альметьевская",
                      "г. Альметьевск", "almetyevsk", "8553", "423450", False),
        _Municipality("92644000", "Нижнекамский муниципальный район",
                      "Нижнекамского муниципального района", "Нижнекамская",
                      "г. Нижнекамск", "nkamsk", "8555", "423570", False),
        _Municipality("92628000", "Зеленодольский муниципальный район",
                      "Зеленодольского муниципального района", "Зеленодольская",
                      "г. Зеленодольск", "zelenodolsk", "84371", "422540", False),
    ),
)

_REGIONS = (_KIROV, _TATARSTAN)

_FEDERAL = CompetenceLevel.FEDERAL.value
_REGIONAL = CompetenceLevel.REGIONAL.value
_MUNICIPAL = CompetenceLevel.MUNICIPAL.value
_INSTITUTION = CompetenceLevel.INSTITUTION.value

#: (group code, group name, group level, ((subcode, name, level), ...)); the top
#: incident topics of the national platform come first.
_RUBRICATOR: tuple[tuple[str, str, str, tuple[tuple[str, str, str], ...]], ...] = (
    ("roads", "Дороги", _MUNICIPAL, (
        ("potholes", "Ямы и выбоины на дорогах", _MUNICIPAL),
        ("federal_highways", "Федеральные трассы", _FEDERAL),
        ("regional_highways", "Региональные и межмуниципальные дороги", _REGIONAL),
        ("sidewalks", "Тротуары и пешеходные дорожки", _MUNICIPAL),
        ("traffic_lights", "Светофоры и дорожные знаки", _MUNICIPAL),
        ("lighting", "Уличное освещение", _MUNICIPAL),
    )),
    ("snow", "Уборка снега и наледи", _MUNICIPAL, (
        ("roads", "Снег на дорогах", _MUNICIPAL),
        ("yards", "Снег во дворах", _INSTITUTION),
        ("icicles", "Сосульки и снег на крышах", _INSTITUTION),
        ("sidewalks", "Гололёд на тротуарах", _MUNICIPAL),
        ("bus_stops", "Нерасчищенные остановки", _MUNICIPAL),
    )),
    ("garbage", "Мусор и отходы", _REGIONAL, (
        ("containers", "Переполненные контейнерные площадки", _REGIONAL),
        ("dumps", "Несанкционированные свалки", _MUNICIPAL),
        ("bulky", "Вывоз крупногабаритных отходов", _REGIONAL),
        ("fees", "Плата за вывоз твёрдых коммунальных отходов", _REGIONAL),
        ("street_cleaning", "Уборка улиц и дворов", _MUNICIPAL),
    )),
    ("social", "Социальная поддержка", _REGIONAL, (
        ("benefits", "Пособия и социальные выплаты", _REGIONAL),
        ("pensions", "Пенсии", _FEDERAL),
        ("large_families", "Поддержка многодетных семей", _REGIONAL),
        ("accessibility", "Доступная среда для людей с инвалидностью", _REGIONAL),
        ("home_care", "Социальное обслуживание на дому", _INSTITUTION),
    )),
    ("transport", "Общественный транспорт", _MUNICIPAL, (
        ("routes", "Маршруты и расписание", _MUNICIPAL),
        ("intercity", "Междугородные автобусы", _REGIONAL),
        ("suburban_trains", "Пригородные поезда", _REGIONAL),
        ("stops", "Остановочные павильоны", _MUNICIPAL),
        ("fares", "Стоимость проезда и льготы", _REGIONAL),
        ("drivers", "Работа водителей и кондукторов", _INSTITUTION),
    )),
    ("health", "Здравоохранение", _REGIONAL, (
        ("appointments", "Запись к врачу", _INSTITUTION),
        ("medicines", "Льготные лекарства", _REGIONAL),
        ("ambulance", "Скорая медицинская помощь", _REGIONAL),
        ("facilities", "Состояние поликлиник и больниц", _REGIONAL),
        ("staff", "Нехватка врачей", _REGIONAL),
    )),
    ("education", "Школы и детские сады", _MUNICIPAL, (
        ("schools", "Работа школ", _MUNICIPAL),
        ("kindergartens", "Очередь и места в детских садах", _MUNICIPAL),
        ("meals", "Школьное питание", _INSTITUTION),
        ("school_buses", "Школьные автобусы", _MUNICIPAL),
        ("exams", "ОГЭ и ЕГЭ", _REGIONAL),
    )),
    ("housing", "ЖКХ", _MUNICIPAL, (
        ("heating", "Отопление", _INSTITUTION),
        ("water", "Водоснабжение и водоотведение", _INSTITUTION),
        ("electricity", "Электроснабжение", _INSTITUTION),
        ("gas", "Газоснабжение", _INSTITUTION),
        ("overhaul", "Капитальный ремонт домов", _REGIONAL),
        ("management", "Работа управляющей компании", _INSTITUTION),
        ("bills", "Начисления за коммунальные услуги", _REGIONAL),
    )),
    ("culture", "Культура и досуг", _MUNICIPAL, (
        ("libraries", "Библиотеки", _MUNICIPAL),
        ("clubs", "Дома культуры и клубы", _MUNICIPAL),
        ("museums", "Музеи и театры", _REGIONAL),
        ("heritage", "Объекты культурного наследия", _REGIONAL),
    )),
    ("employment", "Занятость", _REGIONAL, (
        ("job_search", "Поиск работы", _REGIONAL),
        ("benefits", "Пособие по безработице", _REGIONAL),
        ("wage_arrears", "Задержка заработной платы", _FEDERAL),
        ("retraining", "Профессиональное обучение", _REGIONAL),
    )),
    ("improvement", "Благоустройство", _MUNICIPAL, (
        ("playgrounds", "Детские и спортивные площадки", _MUNICIPAL),
        ("parks", "Парки и скверы", _MUNICIPAL),
        ("yards", "Дворовые территории", _MUNICIPAL),
        ("trees", "Озеленение и вырубка деревьев", _MUNICIPAL),
        ("stray_animals", "Безнадзорные животные", _REGIONAL),
    )),
    ("ecology", "Экология", _REGIONAL, (
        ("air", "Загрязнение воздуха", _REGIONAL),
        ("water_bodies", "Загрязнение рек и озёр", _FEDERAL),
        ("noise", "Шум", _MUNICIPAL),
    )),
    ("communications", "Связь и почта", _FEDERAL, (
        ("mobile", "Мобильная связь", _FEDERAL),
        ("internet", "Доступ в интернет", _FEDERAL),
        ("post", "Работа почтовых отделений", _FEDERAL),
    )),
)


def _category_rows() -> list[tuple[str, str, str, str]]:
    rows = []
    for group, name, level, topics in _RUBRICATOR:
        rows.append((group, name, "", level))
        rows.extend((f"{group}.{code}", title, group, topic_level)
                    for code, title, topic_level in topics)
    return rows


# --- generation ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Details:
    """Where a body is registered and how to reach it."""

    tax_code: str
    domain: str
    phone_code: str
    address: str


class _Builder:
    """Accumulates rows; owns the one random source so the data set is reproducible."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.territories: list[SourceRow] = []
        self.organizations: list[SourceRow] = []
        self._ogrns: set[str] = set()
        self._inns: set[str] = set()

    def territory(self, code: str, name: str, kind: TerritoryKind, parent: str | None,
                  timezone: str = "") -> str:
        """Add a territory; an empty timezone inherits the parent's, as in a CSV file."""
        self.territories.append(SourceRow(_FIRST_LINE + len(self.territories), {
            "code": code, "name": name, "kind": kind.value, "parent_code": parent or "",
            "timezone": timezone,
        }))
        return code

    def organization(self, name: str, kind: OrganizationKind, territory: str,
                     parent: str | None, details: _Details) -> str:
        ogrn, inn = self._registration(details.tax_code)
        self.organizations.append(SourceRow(
            _FIRST_LINE + len(self.organizations),
            {"ogrn": ogrn, "name": name, "kind": kind.value, "territory_code": territory,
             "parent_ogrn": parent or "", "inn": inn},
            {
                "connected": self.rng.random() < 0.9,
                "contacts": {
                    "email": f"info@{details.domain}",
                    "phone": self._phone(details.phone_code),
                    "site": f"https://{details.domain}",
                    "address": details.address,
                },
            },
        ))
        return ogrn

    def federal_bodies(self, country: str) -> dict[str, str]:
        """Federal bodies and national companies; returns body slug -> ОГРН."""
        bodies: dict[str, str] = {}
        for slug, name, parent in _FEDERAL_BODIES:
            bodies[slug] = self.organization(
                name, OrganizationKind.FEDERAL, country, bodies[parent] if parent else None,
                self._moscow(slug))
        for name, slug in _NATIONAL_COMPANIES:
            self.organization(name, OrganizationKind.INDUSTRY, country, None,
                              self._moscow(slug))
        return bodies

    def region(self, region: _Region, country: str, federal: Mapping[str, str]) -> None:
        code = self.territory(region.code, region.name, TerritoryKind.REGION, country,
                              region.timezone)

        def details(slug: str) -> _Details:
            return self._details(region, f"{slug}.{region.slug}.example", region.phone_code,
                                 region.postcode, region.capital)

        for template, parent in _FEDERAL_OFFICES:
            self.organization(template.format(region=region.dative), OrganizationKind.FEDERAL,
                              code, federal[parent], details(parent))
        bodies: dict[str, str] = {}  # body name -> ОГРН; roles may share one body
        government = region.bodies["government"]
        bodies[government] = self.organization(
            government, OrganizationKind.REGIONAL, code, None, details("government"))
        for role, name in region.bodies.items():
            if name not in bodies:
                bodies[name] = self.organization(
                    name, OrganizationKind.REGIONAL, code, bodies[government],
                    details(role))
        by_role = {role: bodies[name] for role, name in region.bodies.items()}
        for name, role, slug in region.regional_institutions:
            self.organization(name, OrganizationKind.INSTITUTION, code, by_role[role],
                              details(slug))
        self.organization(
            f"ООО «Региональный оператор по обращению с отходами {region.genitive}»",
            OrganizationKind.INDUSTRY, code, None, details("tko"))
        for municipality in region.municipalities:
            self.municipality(region, municipality, code, by_role)

    def municipality(self, region: _Region, m: _Municipality, region_code: str,
                     regional: Mapping[str, str]) -> None:
        rng = self.rng
        code = self.territory(m.code, m.name, TerritoryKind.MUNICIPALITY, region_code)
        centre = self.territory(f"{m.code}001", m.centre, TerritoryKind.SETTLEMENT, code)
        villages: list[tuple[str, str]] = []
        suffix = 100
        for name in rng.sample(region.villages, rng.randint(4, 6) if m.city else
                               rng.randint(5, 7)):
            suffix += rng.randint(1, 9)
            villages.append((self.territory(f"{m.code}{suffix}", name,
                                            TerritoryKind.SETTLEMENT, code), name))
        counter: dict[str, int] = {}

        def details(kind: str, place: str = m.centre) -> _Details:
            counter[kind] = counter.get(kind, 0) + 1
            slug = f"{kind}{counter[kind]}" if counter[kind] > 1 else kind
            return self._details(region, f"{slug}.{m.slug}.example", m.phone_code,
                                 m.postcode, place)

        # Local self-government is not part of the state hierarchy (art. 12 of the
        # Constitution), so a municipality's executive body has no parent body.
        administration = self.organization(
            f"{region.municipal_executive} {m.genitive}", OrganizationKind.MUNICIPAL, code,
            None, details("admin"))
        education = self.organization(
            f"Управление образования {m.genitive}", OrganizationKind.MUNICIPAL, code,
            administration, details("edu"))
        institution = OrganizationKind.INSTITUTION
        schools = rng.randint(6, 9) if m.city else rng.randint(1, 2)
        for number in range(1, schools + 1):
            self.organization(f"МБОУ «Средняя школа № {number}» {m.centre}", institution,
                              centre, education, details("school"))
        for village_code, village in villages[: 2 if m.city else rng.randint(2, 3)]:
            self.organization(f"МКОУ «Основная школа {village}»", institution, village_code,
                              education, details("school", f"{m.name}, {village}"))
        for number in range(1, (rng.randint(4, 7) if m.city else rng.randint(2, 3)) + 1):
            self.organization(f"МБДОУ «Детский сад № {number}» {m.centre}", institution,
                              centre, education, details("kindergarten"))
        self.organization(f"МКУК «{m.adjective} централизованная библиотечная система»",
                          institution, centre, administration, details("library"))
        self.organization(f"МБУК «Дом культуры» {m.centre}", institution, centre,
                          administration, details("culture"))
        prefixes = region.institution_prefixes
        hospital = "городская больница" if m.city else "центральная районная больница"
        self.organization(f"{prefixes['health']} «{m.adjective} {hospital}»", institution,
                          centre, regional["health"], details("hospital"))
        self.organization(
            f"{prefixes['social']} «Комплексный центр социального обслуживания населения "
            f"{m.genitive}»", institution, centre, regional["social"], details("social"))
        self.organization(f"{prefixes['employment']} «Центр занятости населения {m.genitive}»",
                          institution, centre, regional["employment"], details("czn"))
        for company in rng.sample(_MANAGEMENT_COMPANY_NAMES, rng.randint(1, 3)):
            self.organization(f"ООО «УК {company}»", OrganizationKind.INDUSTRY, centre, None,
                              details("uk"))
        for utility, slug in (("Водоканал", "vodokanal"), ("Теплосеть", "teploset")):
            self.organization(f"МУП «{utility}» {m.centre}", OrganizationKind.INDUSTRY,
                              centre, administration, details(slug))

    def _registration(self, tax_code: str) -> tuple[str, str]:
        """A fresh ОГРН/ИНН pair shaped like one issued in the given region."""
        rng = self.rng
        while True:
            office = f"{tax_code}{rng.randint(1, 99):02d}"
            ogrn = with_ogrn_check_digit(
                f"1{rng.randint(2, 23):02d}{office}{rng.randint(0, 99999):05d}")
            inn = with_inn_check_digit(f"{office}{rng.randint(0, 99999):05d}")
            if ogrn not in self._ogrns and inn not in self._inns:
                self._ogrns.add(ogrn)
                self._inns.add(inn)
                return ogrn, inn

    def _phone(self, code: str) -> str:
        digits = "".join(str(self.rng.randint(0, 9)) for _ in range(10 - len(code)))
        head = len(digits) - 4
        return f"+7 ({code}) {digits[:head]}-{digits[head:head + 2]}-{digits[head + 2:]}"

    def _details(self, region: _Region, domain: str, phone_code: str, postcode: str,
                 place: str) -> _Details:
        return _Details(region.tax_code, domain, phone_code,
                        f"{postcode}, {region.name}, {place}, {self._street()}")

    def _moscow(self, slug: str) -> _Details:
        """Federal bodies and national companies are registered and seated in Moscow."""
        postcode = f"1{self.rng.randint(1, 29):02d}{self.rng.randint(0, 999):03d}"
        return _Details("77", f"{slug}.example", "495",
                        f"{postcode}, г. Москва, {self._street()}")

    def _street(self) -> str:
        return f"{self.rng.choice(_STREETS)}, д. {self.rng.randint(1, 120)}"
