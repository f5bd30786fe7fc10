"""The page catalogue of a simulated municipal site: sections, service pages, news and info pages, with their
bokmål and nynorsk titles and introductions, and the wording of the site's chrome.

Texts here are free of the facts and of the words the web items are graded by (chat, min side, postliste,
skjema, meld feil, brukerundersøkelse...), so that an item the truth calls absent is really absent.
"""

from __future__ import annotations

from dataclasses import dataclass

from kommunetest.sandbox.websites.lang import t


@dataclass(frozen=True)
class PageSpec:
    key: str
    section: str | None  # the section a service belongs to (None for sections and info pages)
    nb: str
    nn: str
    intro_nb: str = ""
    intro_nn: str = ""
    filler: bool = False  # an optional page: small sites have fewer of them

    def title(self, lang: str) -> str:
        return t(lang, self.nb, self.nn)

    def intro(self, lang: str) -> str:
        return t(lang, self.intro_nb, self.intro_nn)


SECTIONS = (
    PageSpec(
        "helse",
        None,
        "Helse og omsorg",
        "Helse og omsorg",
        "Tjenester for deg som trenger helsehjelp, pleie eller omsorg.",
        "Tenester for deg som treng helsehjelp, pleie eller omsorg.",
    ),
    PageSpec(
        "barn",
        None,
        "Barnehage og skole",
        "Barnehage og skule",
        "Informasjon om barnehager, skoler og fritidstilbud for barn.",
        "Informasjon om barnehagar, skular og fritidstilbod for born.",
    ),
    PageSpec(
        "bygg",
        None,
        "Bygg, kart og eiendom",
        "Bygg, kart og eigedom",
        "Alt om å bygge, kart, eiendom og oppmåling.",
        "Alt om å byggje, kart, eigedom og oppmåling.",
    ),
    PageSpec(
        "teknisk",
        None,
        "Vann, avløp og renovasjon",
        "Vatn, avløp og renovasjon",
        "Drikkevann, avløp, avfall og kommunale veier.",
        "Drikkevatn, avløp, avfall og kommunale vegar.",
    ),
    PageSpec(
        "kultur",
        None,
        "Kultur, idrett og fritid",
        "Kultur, idrett og fritid",
        "Bibliotek, kulturskole, idrettsanlegg og arrangementer.",
        "Bibliotek, kulturskule, idrettsanlegg og arrangement.",
    ),
    PageSpec(
        "politikk",
        None,
        "Politikk og samfunn",
        "Politikk og samfunn",
        "Kommunestyret, møter, planer og dine rettigheter.",
        "Kommunestyret, møte, planar og rettane dine.",
    ),
    PageSpec(
        "kontakt",
        None,
        "Kontakt oss",
        "Kontakt oss",
        "Slik kommer du i kontakt med kommunen.",
        "Slik kjem du i kontakt med kommunen.",
    ),
)
# The section title when the municipality's site says nothing of renovasjon.
TEKNISK_NO_WASTE = ("Vann, avløp og vei", "Vatn, avløp og veg")

SERVICES = (
    PageSpec(
        "helsestasjon",
        "helse",
        "Helsestasjon",
        "Helsestasjon",
        "Helsestasjonen følger opp barn og familier fra svangerskap til skolestart, med vaksiner, veiing og samtaler.",
        "Helsestasjonen følgjer opp born og familiar frå svangerskap til skulestart, med vaksinar, vegning og samtalar.",
    ),
    PageSpec(
        "legevakt",
        "helse",
        "Legevakt",
        "Legevakt",
        "Legevakten gir øyeblikkelig hjelp når fastlegen ikke er tilgjengelig. Ved livstruende situasjoner, ring 113.",
        "Legevakta gir augeblikkeleg hjelp når fastlegen ikkje er tilgjengeleg. Ved livstrugande situasjonar, ring 113.",
    ),
    PageSpec(
        "hjemmetjenester",
        "helse",
        "Hjemmetjenester",
        "Heimetenester",
        "Hjemmetjenesten gir praktisk bistand og hjemmesykepleie til deg som trenger hjelp for å bo hjemme.",
        "Heimetenesta gir praktisk bistand og heimesjukepleie til deg som treng hjelp for å bu heime.",
    ),
    PageSpec(
        "helsepriser",
        "helse",
        "Priser for helse- og omsorgstjenester",
        "Prisar for helse- og omsorgstenester",
        "Her finner du hva tjenestene innen helse og omsorg koster.",
        "Her finn du kva tenestene innan helse og omsorg kostar.",
    ),
    PageSpec(
        "fastlege",
        "helse",
        "Fastlege",
        "Fastlege",
        "Alle som bor i Norge har rett til en fast lege. Du kan bytte fastlege på helsenorge.no.",
        "Alle som bur i Noreg har rett til ein fast lege. Du kan byte fastlege på helsenorge.no.",
        filler=True,
    ),
    PageSpec(
        "sykehjem",
        "helse",
        "Sykehjem",
        "Sjukeheim",
        "Kommunen har langtidsplasser og korttidsplasser for eldre som trenger heldøgns omsorg.",
        "Kommunen har langtidsplassar og korttidsplassar for eldre som treng heildøgns omsorg.",
        filler=True,
    ),
    PageSpec(
        "nav",
        "helse",
        "NAV-kontoret",
        "NAV-kontoret",
        "NAV-kontoret gir råd om arbeid, økonomisk sosialhjelp og gjeldsrådgivning.",
        "NAV-kontoret gir råd om arbeid, økonomisk sosialhjelp og gjeldsrådgjeving.",
    ),
    PageSpec(
        "barnehage",
        "barn",
        "Barnehage",
        "Barnehage",
        "Alle barn som fyller ett år innen utgangen av november, har rett til barnehageplass. Hovedopptaket har søknadsfrist 1. mars.",
        "Alle born som fyller eitt år innan utgangen av november, har rett til barnehageplass. Hovudopptaket har søknadsfrist 1. mars.",
    ),
    PageSpec(
        "barnehagepris",
        "barn",
        "Pris og betaling i barnehage",
        "Pris og betaling i barnehage",
        "Foreldrebetalingen følger maksimalprisen som Stortinget vedtar.",
        "Foreldrebetalinga følgjer maksimalprisen som Stortinget vedtek.",
    ),
    PageSpec(
        "sfo",
        "barn",
        "SFO – skolefritidsordning",
        "SFO – skulefritidsordning",
        "SFO er et frivillig tilbud før og etter skoletid for elever på 1.–4. trinn.",
        "SFO er eit frivillig tilbod før og etter skuletid for elevar på 1.–4. trinn.",
    ),
    PageSpec(
        "skole",
        "barn",
        "Grunnskole",
        "Grunnskule",
        "Kommunen har ansvar for grunnskoleopplæringen. Her finner du skolene og informasjon om skoleskyss.",
        "Kommunen har ansvar for grunnskuleopplæringa. Her finn du skulane og informasjon om skuleskyss.",
        filler=True,
    ),
    PageSpec(
        "byggesak",
        "bygg",
        "Byggesak",
        "Byggjesak",
        "Skal du bygge, rive eller endre bruk, må du ofte søke kommunen. Sjekk først om tiltaket er unntatt søknadsplikt.",
        "Skal du byggje, rive eller endre bruk, må du ofte søkje kommunen. Sjekk først om tiltaket er unnateke søknadsplikt.",
    ),
    PageSpec(
        "byggegebyr",
        "bygg",
        "Gebyrer for byggesaker",
        "Gebyr for byggjesaker",
        "Kommunen tar gebyr for behandling av byggesøknader.",
        "Kommunen tek gebyr for handsaming av byggjesøknader.",
    ),
    PageSpec(
        "kart",
        "bygg",
        "Kart og oppmåling",
        "Kart og oppmåling",
        "Bestill situasjonskart, eiendomsinformasjon og oppmålingsforretning.",
        "Bestill situasjonskart, eigedomsinformasjon og oppmålingsforretning.",
        filler=True,
    ),
    PageSpec(
        "eiendomsskatt",
        "bygg",
        "Eiendomsskatt",
        "Eigedomsskatt",
        "Kommunen skriver ut eiendomsskatt på boliger og fritidsboliger.",
        "Kommunen skriv ut eigedomsskatt på bustader og fritidsbustader.",
        filler=True,
    ),
    PageSpec(
        "vann",
        "teknisk",
        "Vann og avløp",
        "Vatn og avløp",
        "Kommunen leverer drikkevann og tar hånd om avløpsvannet fra husstander og næringsliv.",
        "Kommunen leverer drikkevatn og tek hand om avløpsvatnet frå hushald og næringsliv.",
    ),
    PageSpec(
        "avgifter",
        "teknisk",
        "Kommunale avgifter",
        "Kommunale avgifter",
        "Kommunale avgifter faktureres fire ganger i året.",
        "Kommunale avgifter blir fakturerte fire gonger i året.",
    ),
    PageSpec(
        "renovasjon",
        "teknisk",
        "Renovasjon og avfall",
        "Renovasjon og avfall",
        "Husholdningsavfallet hentes etter tømmekalenderen.",
        "Hushaldsavfallet blir henta etter tømmekalenderen.",
    ),
    PageSpec(
        "vei",
        "teknisk",
        "Vei og gatelys",
        "Veg og gatelys",
        "Kommunen drifter de kommunale veiene, med brøyting, strøing og gatelys.",
        "Kommunen driftar dei kommunale vegane, med brøyting, strøing og gatelys.",
    ),
    PageSpec("meldfeil", "teknisk", "Meld feil", "Meld feil"),
    PageSpec(
        "bibliotek",
        "kultur",
        "Bibliotek",
        "Bibliotek",
        "Biblioteket låner ut bøker, lydbøker og filmer, og har arrangementer for store og små.",
        "Biblioteket lånar ut bøker, lydbøker og filmar, og har arrangement for store og små.",
    ),
    PageSpec(
        "svommehall",
        "kultur",
        "Svømmehallen",
        "Symjehallen",
        "Svømmehallen har offentlig bading, svømmeopplæring og trening for lag og foreninger.",
        "Symjehallen har offentleg bading, symjeopplæring og trening for lag og foreiningar.",
    ),
    PageSpec(
        "kulturskole",
        "kultur",
        "Kulturskole",
        "Kulturskule",
        "Kulturskolen gir undervisning i musikk, dans, teater og visuell kunst.",
        "Kulturskulen gir undervisning i musikk, dans, teater og visuell kunst.",
    ),
    PageSpec(
        "idrett",
        "kultur",
        "Idrett og friluftsliv",
        "Idrett og friluftsliv",
        "Oversikt over idrettsanlegg, turstier og tilskudd til lag og foreninger.",
        "Oversikt over idrettsanlegg, turstigar og tilskot til lag og foreiningar.",
        filler=True,
    ),
    PageSpec("postliste", "politikk", "Postliste og innsyn", "Postliste og innsyn"),
    PageSpec("klage", "politikk", "Klage på vedtak", "Klage på vedtak"),
    PageSpec("brukerundersokelser", "politikk", "Brukerundersøkelser", "Brukarundersøkingar"),
    PageSpec(
        "moter",
        "politikk",
        "Politiske møter",
        "Politiske møte",
        "Kommunestyret, formannskapet og utvalgene holder møter etter en fast møteplan.",
        "Kommunestyret, formannskapet og utvala held møte etter ein fast møteplan.",
        filler=True,
    ),
    PageSpec(
        "budsjett",
        "politikk",
        "Budsjett og økonomiplan",
        "Budsjett og økonomiplan",
        "Kommunestyret vedtar budsjettet og økonomiplanen hvert år i desember.",
        "Kommunestyret vedtek budsjettet og økonomiplanen kvart år i desember.",
        filler=True,
    ),
    PageSpec(
        "servicetorg",
        "kontakt",
        "Servicetorget",
        "Servicetorget",
        "{desk} hjelper deg med spørsmål om kommunens tjenester, søknader og betaling.",
        "{desk} hjelper deg med spørsmål om tenestene til kommunen, søknader og betaling.",
    ),
    PageSpec("skjema", "kontakt", "Søknader og skjema", "Søknader og skjema"),
)

INFO = (
    PageSpec(
        "om",
        None,
        "Om kommunen",
        "Om kommunen",
        "Kommunen er en stor arbeidsgiver og gir tjenester til alle innbyggerne.",
        "Kommunen er ein stor arbeidsgivar og gir tenester til alle innbyggjarane.",
    ),
    PageSpec(
        "personvern",
        None,
        "Personvern",
        "Personvern",
        "Kommunen behandler personopplysninger i samsvar med personvernforordningen.",
        "Kommunen handsamar personopplysningar i samsvar med personvernforordninga.",
    ),
    PageSpec(
        "tilgjengelighet",
        None,
        "Tilgjengelighetserklæring",
        "Tilgjengelegheitserklæring",
        "Vi jobber for at nettstedet skal være universelt utformet.",
        "Vi arbeider for at nettstaden skal vere universelt utforma.",
    ),
)
# The chain under "Om kommunen" where deep items hang (depth 2, 3, 4 below the front page).
CHAIN = (
    PageSpec(
        "organisasjon",
        None,
        "Organisasjon",
        "Organisasjon",
        "Kommunen er organisert i sektorer med egne ledere.",
        "Kommunen er organisert i sektorar med eigne leiarar.",
    ),
    PageSpec(
        "dokumenter",
        None,
        "Dokumenter og planer",
        "Dokument og planar",
        "Planer, strategier og andre dokumenter fra kommunen.",
        "Planar, strategiar og andre dokument frå kommunen.",
    ),
    PageSpec(
        "arkiv",
        None,
        "Arkiv",
        "Arkiv",
        "Eldre sider og dokumenter som ikke lenger oppdateres.",
        "Eldre sider og dokument som ikkje lenger blir oppdaterte.",
    ),
    PageSpec(
        "eldre",
        None,
        "Eldre innhold",
        "Eldre innhald",
        "Innhold fra det gamle nettstedet.",
        "Innhald frå den gamle nettstaden.",
    ),
)

NEWS = (
    (
        "Nytt boligfelt er klart for salg",
        "Nytt bustadfelt er klart for sal",
        "Tomtene i det nye boligfeltet legges ut for salg i høst. Interesserte kan melde seg på visning.",
        "Tomtene i det nye bustadfeltet blir lagde ut for sal i haust. Interesserte kan melde seg på synfaring.",
    ),
    (
        "Kommunestyret vedtok budsjettet",
        "Kommunestyret vedtok budsjettet",
        "Budsjettet for neste år gir rom for ny barneskole og økt bemanning i hjemmetjenesten.",
        "Budsjettet for neste år gir rom for ny barneskule og auka bemanning i heimetenesta.",
    ),
    (
        "Sommerjobb for ungdom",
        "Sommarjobb for ungdom",
        "Ungdom mellom 15 og 18 år kan søke sommerjobb i kommunen.",
        "Ungdom mellom 15 og 18 år kan søkje sommarjobb i kommunen.",
    ),
    (
        "Veiarbeid i sentrum",
        "Vegarbeid i sentrum",
        "Det blir innsnevret kjørebane i sentrum mens vann- og avløpsledningene skiftes ut.",
        "Det blir innsnevra køyrebane i sentrum medan vass- og avløpsleidningane blir skifta ut.",
    ),
    (
        "Bli med på ryddeaksjonen",
        "Bli med på ryddeaksjonen",
        "Lag, foreninger og skoleklasser inviteres til å rydde strender og turstier.",
        "Lag, foreiningar og skuleklassar blir inviterte til å rydde strender og turstigar.",
    ),
    (
        "Høring: kommuneplanens samfunnsdel",
        "Høyring: samfunnsdelen av kommuneplanen",
        "Forslaget til ny samfunnsdel er lagt ut på høring. Alle kan gi innspill.",
        "Forslaget til ny samfunnsdel er lagt ut på høyring. Alle kan gi innspel.",
    ),
    (
        "Kulturprisen er delt ut",
        "Kulturprisen er delt ut",
        "Årets kulturpris gikk til et lokalt kor som har vært aktivt i over femti år.",
        "Årets kulturpris gjekk til eit lokalt kor som har vore aktivt i over femti år.",
    ),
    (
        "Ny gang- og sykkelvei åpnet",
        "Ny gang- og sykkelveg opna",
        "Den nye gang- og sykkelveien gir tryggere skolevei for mange barn.",
        "Den nye gang- og sykkelvegen gir tryggare skuleveg for mange born.",
    ),
    (
        "Vaksinering mot influensa",
        "Vaksinering mot influensa",
        "Personer over 65 år og andre i risikogrupper får tilbud om influensavaksine.",
        "Personar over 65 år og andre i risikogrupper får tilbod om influensavaksine.",
    ),
    (
        "Brannvernuka: sjekk røykvarsleren",
        "Brannvernveka: sjekk røykvarslaren",
        "Husk å teste røykvarsleren og bytte batteri.",
        "Hugs å teste røykvarslaren og byte batteri.",
    ),
)

# Sentences that pad a page to a realistic length (no facts, no item words).
PADDING = (
    (
        "Har du spørsmål, er du velkommen til å ta kontakt med oss.",
        "Har du spørsmål, er du velkomen til å ta kontakt med oss.",
    ),
    (
        "Informasjonen på denne siden oppdateres jevnlig.",
        "Informasjonen på denne sida blir oppdatert jamleg.",
    ),
    (
        "Kommunen samarbeider med nabokommunene om flere av tjenestene.",
        "Kommunen samarbeider med nabokommunane om fleire av tenestene.",
    ),
    (
        "Tjenesten er tilpasset den enkeltes behov, og vi legger vekt på god dialog.",
        "Tenesta er tilpassa behova til den enkelte, og vi legg vekt på god dialog.",
    ),
    (
        "Les mer om rettighetene dine på nettsidene til Helsedirektoratet.",
        "Les meir om rettane dine på nettsidene til Helsedirektoratet.",
    ),
    (
        "Vi ønsker at alle innbyggere skal få god og likeverdig service.",
        "Vi ønskjer at alle innbyggjarar skal få god og likeverdig service.",
    ),
    ("Du finner mer informasjon i menyen.", "Du finn meir informasjon i menyen."),
)

# The chrome's words: (bokmål, nynorsk).
UI = {
    "az": ("Tjenester A–Å", "Tenester A–Å"),
    "search": ("Søk", "Søk"),
    "search_label": ("Hva leter du etter?", "Kva leitar du etter?"),
    "news": ("Nyheter", "Nyheiter"),
    "all_news": ("Alle nyheter", "Alle nyheiter"),
    "front": ("Forsiden", "Framsida"),
    "shortcuts": ("Snarveier", "Snarvegar"),
    "read_more": ("Les mer", "Les meir"),
    "menu": ("Hovedmeny", "Hovudmeny"),
    "visit": ("Besøksadresse", "Besøksadresse"),
    "phone": ("Telefon", "Telefon"),
    "switchboard": ("Sentralbord", "Sentralbord"),
    "email": ("E-post", "E-post"),
    "orgnr": ("Org.nr.", "Org.nr."),
    "published": ("Publisert", "Publisert"),
    "results_for": ("Søkeresultat for", "Søkjeresultat for"),
    "hits": ("treff", "treff"),
    "no_hits": ("Ingen treff. Prøv et annet søkeord.", "Ingen treff. Prøv eit anna søkjeord."),
    "empty_query": ("Skriv inn et søkeord.", "Skriv inn eit søkjeord."),
    "services": ("Tjenester", "Tenester"),
    "in_section": ("I denne seksjonen", "I denne seksjonen"),
    "welcome": ("Velkommen til {name} kommune", "Velkomen til {name} kommune"),
    "welcome_text": (
        "Her finner du informasjon om tjenestene i kommunen.",
        "Her finn du informasjon om tenestene i kommunen.",
    ),
    "more_pages": ("Mer om dette", "Meir om dette"),
    "english": ("English", "English"),
    "skip": ("Hopp til hovedinnhold", "Hopp til hovudinnhald"),
    "cookies": (
        "Vi bruker informasjonskapsler (cookies) for å lage statistikk og gjøre nettstedet bedre. "
        "Du kan når som helst endre valget ditt.",
        "Vi brukar informasjonskapslar (cookies) for å lage statistikk og gjere nettstaden betre. "
        "Du kan når som helst endre valet ditt.",
    ),
    "accept": ("Godta alle", "Godta alle"),
    "decline": ("Bare nødvendige", "Berre nødvendige"),
    "useful": ("Fant du det du lette etter?", "Fann du det du leita etter?"),
    "yes": ("Ja", "Ja"),
    "no": ("Nei", "Nei"),
    "feedback_hint": (
        "Hva kan vi gjøre bedre? Ikke skriv personopplysninger her.",
        "Kva kan vi gjere betre? Ikkje skriv personopplysningar her.",
    ),
}


def ui(key: str, lang: str) -> str:
    nb, nn = UI[key]
    return t(lang, nb, nn)


SERVICE_BY_KEY = {s.key: s for s in SERVICES}
SECTION_BY_KEY = {s.key: s for s in SECTIONS}
