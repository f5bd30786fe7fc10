"""The phrase tables behind `classify`: bokmål, nynorsk and English, as municipal mail systems write them.

Each phrase has a kind (what it is evidence of), a label (shown in the classification's reasons) and a
strength: a strong phrase decides on its own, weak ones only add up. Patterns are written in lower case with
single spaces; `compile_phrase` lets every space match any run of whitespace (plain-text mail wraps lines).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Phrase:
    kind: str  # auto_reply, receipt, interim, referral, automated, filler, answer, bounce
    label: str
    regex: re.Pattern[str]
    strong: bool = True


def compile_phrase(pattern: str) -> re.Pattern[str]:
    # "a b" → a\s+b; a space carrying its own quantifier (" ?", " *") stays one \s with that quantifier.
    spaced = re.sub(r" (?=[*+?{])", r"\\s", pattern)
    return re.compile(spaced.replace(" ", r"\s+"), re.IGNORECASE)


def _p(kind: str, label: str, pattern: str, strong: bool = True) -> Phrase:
    return Phrase(kind, label, compile_phrase(pattern), strong)


_I = r"(?:jeg|eg|i)"
_MAIL = r"(?:e-?posten|e-?post|e-?mailen|mailen|meldingen|meldinga|henvendelsen|henvendinga|din e-?post|di e-?post)"
_INQUIRY = (
    r"(?:din |di |deres |dykkar )?(?:henvendelse|henvendelsen|henvending|henvendinga|e-?post|e-?posten|"
    r"melding|meldingen|meldinga|forespørsel|forespørselen|førespurnad|førespurnaden|spørsmål|spørsmålet|"
    r"søknad|søknaden|brev|brevet|dokument|dokumentet)"
)
# What a citizen sent (not a søknad or document, which answers describe: "etter at søknaden er mottatt").
_SENT = (
    r"(?:din |di |deres |dykkar )?(?:henvendelse|henvendelsen|henvending|henvendinga|e-?post|e-?posten|"
    r"melding|meldingen|meldinga|forespørsel|forespørselen|førespurnad|førespurnaden|spørsmål|spørsmålet)"
)
_DAY = r"(?:mandag|måndag|tirsdag|tysdag|onsdag|torsdag|fredag|lørdag|laurdag|søndag|sundag)"
_AGENCY = (
    r"(?:nav|nav-kontoret|skatteetaten|statens vegvesen|vegvesenet|fylkeskommunen|husbanken|helsenorge|"
    r"kartverket|lånekassen|politiet|fastlegen|fastlegen din|legevakta|legevakten|tannhelsetenesta|"
    r"tannhelsetjenesten|statsforvalteren|statsforvaltaren|fylkesmannen|udi|altinn|brønnøysundregistrene|"
    r"forbrukerrådet|arbeidstilsynet|mattilsynet|sivilombudet|namsmannen|tingretten|sykehuset|helse [a-zæøå]+)"
)
_WEB = (
    r"(?:våre nettsider|vår nettside|våre heimesider|vår heimeside|våre hjemmesider|vår hjemmeside|"
    r"kommunens nettsider?|kommunens hjemmesider?|kommunens heimesider?|kommunen sine nettsider|"
    r"kommunen si nettside|kommunen si heimeside|heimesida|hjemmesida|hjemmesiden|nettsida|nettsiden|"
    r"nettsidene|nettsidane|heimesidene|hjemmesidene|internettsidene|www\.|https?://|"
    r"[a-z0-9-]+\.(?:kommune\.no|no|com|org)/\S*|[a-z0-9-]+\.kommune\.no\b)"
)

OUT_OF_OFFICE = [
    _p("auto_reply", "automatisk svar", r"\bautomati(?:sk|c) (?:svar|reply)\b"),
    _p("auto_reply", "autosvar", r"\bauto-?(?:svar|reply|respons)\b"),
    _p("auto_reply", "fraværsmelding", r"\bfr[aå]v(?:æ|a)rs?melding"),
    _p("auto_reply", "i mitt fravær", r"\b(?:i|under) mitt fr[aå]v(?:æ|a)r\b"),
    _p(
        "auto_reply",
        "jeg er på ferie/permisjon/reise",
        rf"\b{_I} (?:er|vil være|vil vere|blir) (?:for tiden |for tida |no |nå |dessverre )?(?:på|i|ute på) "
        r"(?:ferie|sommerferie|sommarferie|vinterferie|juleferie|påskeferie|høstferie|haustferie|permisjon|"
        r"foreldrepermisjon|fødselspermisjon|reise|tjenestereise|tenestereise|kurs|seminar|samling|avspasering)\b",
    ),
    _p(
        "auto_reply",
        "jeg er ute av kontoret/borte",
        rf"\b{_I} (?:er|vil være|vil vere) (?:for tiden |for tida |no |nå |dessverre )?(?:ute av kontoret|"
        r"borte fra kontoret|borte frå kontoret|ikke på kontoret|ikkje på kontoret|ikke til stede|ikkje til stades|"
        r"ikkje til stede|fraværende|fråverande|sykemeldt|sykmeldt|sjukmeld|sjukemeld|ikke tilgjengelig|"
        r"ikkje tilgjengeleg|utilgjengelig|utilgjengeleg|borte|ute|av kontoret)\b",
    ),
    _p(
        "auto_reply",
        "jeg har ferie/fri",
        rf"\b{_I} har (?:ferie|fri|avspasering|permisjon|sommarferie|sommerferie)\b",
    ),
    _p(
        "auto_reply",
        "jeg er tilbake ...",
        rf"\b{_I} (?:er|kjem|kommer|vil være|vil vere) tilbake (?:på jobb |på kontoret |i arbeid |på jobben )?"
        rf"(?:igjen )?(?:den \d|den {_DAY}|(?:fra|frå|fom\.?|f\.o\.m\.?|om) (?:\d|{_DAY}|uke|veke|neste)|{_DAY}|\d|i uke|i veke)",
    ),
    _p(
        "auto_reply",
        "tilbake på kontoret ...",
        rf"\btilbake (?:på kontoret|på jobb|i arbeid|på jobben) (?:igjen )?(?:den |{_DAY}|\d|uke|veke|etter)",
    ),
    _p(
        "auto_reply",
        "har sluttet / adressen følges ikke opp",
        rf"\b{_I} har (?:sluttet|slutta|avslutta|avsluttet) (?:i|hos|min|mitt|arbeidsforholdet)"
        r"|\b(?:denne |dette )?(?:e-?postadressen|e-?postadressa|adressen|adressa|postkassen|postkassa) (?:blir|vert|er) (?:ikke|ikkje) "
        r"(?:lenger |lenger i bruk|lengre )?(?:fulgt opp|følgt opp|lest|brukt|i bruk|overvåket|overvaka|aktiv)",
    ),
    _p(
        "auto_reply",
        "jeg er ikke på jobb",
        rf"\b{_I} (?:er|jobbar|jobber) (?:ikke|ikkje) (?:på jobb|på arbeid|i arbeid|på jobben|til stede|til stades|inne)\b"
        rf"|\b{_I} (?:jobber|jobbar|arbeider|arbeider) deltid",
    ),
    _p(
        "auto_reply",
        "leser ikke e-post",
        r"\b(?:leser|les|sjekker|sjekkar|har) (?:ikke|ikkje) (?:tilgang til )?(?:e-?post|e-?mail|mail)",
    ),
    _p(
        "auto_reply",
        "begrenset tilgang til e-post",
        r"\b(?:begrenset|avgrensa|avgrenset|redusert) tilgang til (?:e-?post|e-?mail|mail)",
    ),
    _p(
        "auto_reply",
        "besvares når jeg er tilbake",
        rf"\b(?:besvart|besvares|lest|lese|behandla|behandlet|svart på|svare på|svarer|svarar|svare|svarer deg|svarar deg|"
        rf"tar kontakt|svarer på e-posten|svarar på e-posten) (?:deg )?(?:når|etter at|så snart|straks) {_I} "
        r"(?:er|kjem|kommer) tilbake",
    ),
    _p(
        "auto_reply",
        "blir ikke videresendt",
        rf"\b{_MAIL} (?:blir|vert|vil bli|vil ikke bli|vil ikkje bli) (?:ikke |ikkje )?(?:videresendt|vidaresendt)",
    ),
    _p(
        "auto_reply",
        "kontoret er stengt",
        r"\b(?:postmottak(?:et)?|kontoret|kontora|servicetorget|sentralbordet|rådhuset|innbyggertorget|"
        r"servicekontoret|tenestetorget|kundesenteret|administrasjonen)(?: [^.!?]{0,50})? (?:er|vil være|vil vere|"
        r"holder|held|blir|vert) (?:feriestengt|feriestengd|stengt|stengd|julestengt|julestengd)",
    ),
    _p(
        "auto_reply",
        "ved hastesaker",
        r"\b(?:ved|i) (?:hastesaker|presserende saker|akutte saker|haste-saker|akutte behov|akutt behov|"
        r"akutte tilfelle|akutte tilfeller|nødstilfelle|nødstilfeller)\b",
        strong=False,
    ),
    _p(
        "auto_reply",
        "I am out of the office / on leave",
        r"\bi (?:am|will be|'m) (?:currently )?(?:out of(?: the)? office|away(?: from the office)?|on (?:annual )?leave|"
        r"on holiday|on vacation|travell?ing|out of office)",
    ),
    _p(
        "auto_reply",
        "trenger du hjelp før den tid",
        r"\b(?:treng|trenger|trengs|har du behov for) (?:du )?(?:hjelp|svar|bistand|assistanse) "
        r"(?:før (?:den tid|det|eg er tilbake|jeg er tilbake|då|da)|i mellomtida|i mellomtiden|mens jeg er borte|"
        r"medan eg er borte)",
        strong=False,
    ),
    _p("auto_reply", "out of office", r"\bout of(?: the)? office\b"),
    _p("auto_reply", "I will be back", r"\bi (?:will|'ll) (?:be back|return)\b"),
    _p("auto_reply", "limited access to e-mail", r"\blimited access to (?:e-?mail|my e-?mail)"),
]

AUTOMATED = [
    _p(
        "automated",
        "dette er en automatisk melding",
        r"\bdette er (?:en|ei|eit|et) automatisk(?:e)? (?:generert |utsendt |sendt )?"
        r"(?:kvittering|svar|melding|e-?post|epost|tilbakemelding|beskjed)",
    ),
    _p("automated", "automatisk generert", r"\bautomatisk (?:generert|utsendt|oppretta|opprettet)\b"),
    _p(
        "automated",
        "ikke svar på denne e-posten",
        r"\b(?:ikke|ikkje|vennligst ikke|venlegast ikkje) svar (?:på )?(?:denne|dette) (?:e-?posten|e-?post|meldingen|meldinga|e-?mailen|mailen)",
    ),
    _p(
        "automated",
        "adressen kan ikke motta svar",
        r"\b(?:denne|dette) (?:e-?postadressen|e-?postadressa|adressen|adressa) (?:kan ikke|kan ikkje|blir ikke|vert ikkje) "
        r"(?:motta|ta imot|ta i mot|besvart|brukt|svare)",
    ),
    _p(
        "automated",
        "kan ikke besvares",
        r"\b(?:kan ikke|kan ikkje) (?:besvares|svarast|svarast på|svares på)",
    ),
    _p("automated", "do not reply", r"\b(?:do not|don't|please do not) reply\b"),
]

RECEIPT = [
    _p(
        "receipt",
        "bekrefter å ha mottatt",
        r"\b(?:bekrefte|bekrefter|stadfeste|stadfester|stadfestar|kvitterer|kvitterar) (?:herved |med dette )?"
        r"(?:å ha |at vi har |at me har |at kommunen har |at [a-zæøå]+ kommune har |for |at )?"
        r"(?:mottatt|motteke|motteken|mottak|mottaket)",
    ),
    _p(
        "receipt",
        "kvittering for mottatt",
        r"\bkvittering (?:for|på) (?:mottatt|motteken|motteke|mottak|din|di|henvendelse)",
    ),
    _p(
        "receipt",
        "mottakskvittering",
        r"\b(?:mottaks|motteks)(?:kvittering|bekreftelse|bekreftelsen|stadfesting)",
    ),
    _p(
        "receipt",
        "henvendelsen er mottatt/registrert",
        rf"(?<!etter\x20at\x20)(?<!når\x20)(?<!før\x20)\b{_SENT} (?:din |di )?(?:til [^.]{{0,40}} )?(?:er|har blitt|er blitt|har vorte|vart|ble|blei|blir|vert) "
        r"(?:no |nå )?(?:mottatt|motteken|motteke|registrert|journalført|journalfør|arkivert|registrert og journalført)",
    ),
    _p(
        "receipt",
        "henvendelsen har fått nummer",
        rf"\b{_SENT} (?:din |di )?(?:har fått|er gitt|har fått tildelt|er tildelt|har) (?:saks|referanse|journal|ref\.? ?)?"
        r"(?:nummer|nummeret|nr\.?|id|referanse|referansenummer|saksnummer)\b",
    ),
    _p(
        "receipt",
        "vi har registrert henvendelsen",
        rf"\b(?:vi|me|kommunen) har (?:no |nå )?(?:registrert|journalført|arkivert) {_INQUIRY}",
    ),
    _p(
        "receipt",
        "melding mottatt",
        r"\b(?:melding|meldinga|meldingen|henvendelse|henvendelsen|e-?post) (?:er )?mottatt\b",
    ),
    _p(
        "receipt",
        "registrert i arkivet/journalført",
        r"\b(?:registrert|journalført|journalfør|arkivert) (?:i|hos|som) (?:vårt|våre|kommunens|kommunen|"
        r"arkiv|sak|journal|postjournal|elements|ephorte|websak|public 360|p360|acos)",
    ),
    _p("receipt", "journalført", r"\bjournalført\b|\bjournalpost(?:id|nr)?\b"),
    _p(
        "receipt",
        "saksnummer",
        r"\b(?:saksnummer|saksnr\.?|sak nr\.?|saksnr|arkivsak(?:snr|snummer)?|arkivsaksnr\.?|dokumentnr\.?|"
        r"dokumentnummer|journalpostnr\.?|referansenummer|ref\.? ?nr\.?) *:? *(?:\d{2,4}/\d+|\d{4,})",
        strong=False,
    ),
    _p(
        "receipt",
        "vil svare så snart som mulig",
        r"\b(?:vil|skal|kommer til å|kjem til å) (?:bli |verte )?(?:svare|svara|besvare|behandle|handsame|"
        r"besvart|behandlet|behandla|handsama|handsamt|fordelt|sett på) (?:deg |din henvendelse |di henvending |"
        r"henvendelsen |henvendinga |saka |saken )?(?:så snart (?:som )?(?:mulig|mogleg|råd|vi kan|me kan)|"
        r"snarast|fortløpende|i løpet av kort tid)",
    ),
    _p(
        "receipt",
        "vi tilstreber å svare innen",
        r"\b(?:vi |me |kommunen )?(?:tilstreber|tilstrebar|etterstreber|har som mål|har som mål å|prøver|prøver å|forsøker å|streber etter å|svarer normalt|svarar normalt|"
        r"svarer vanligvis|svarar vanlegvis|har en svarfrist|har ein svarfrist|har svarfrist)(?: å)?(?: svare| svara| besvare)?[^.!?]{0,30} "
        r"(?:innen|innan|i løpet av|på) (?:\d+|en|ein|to|tre|fire|fem|ti|fjorten) (?:virkedager|virkedagar|arbeidsdager|arbeidsdagar|dager|dagar|uker|veker)",
        strong=False,
    ),
    _p(
        "receipt",
        "besvart fortløpende",
        r"\b(?:besvares|behandles|handsamast|svarast) (?:så snart|fortløpende|snarast)",
    ),
    _p(
        "receipt",
        "fordelt til saksbehandler",
        r"\b(?:fordelt|tildelt|sendt|sendast|fordelast) (?:til )?(?:en |ein |rett |riktig )?(?:saksbehandler|saksbehandlar|sakshandsamar)",
    ),
    _p("receipt", "takk for din henvendelse", rf"\btakk for {_INQUIRY}\b", strong=False),
    _p(
        "receipt",
        "vi har mottatt",
        rf"\b(?:vi|me|kommunen) har (?:no |nå )?(?:mottatt|motteke) {_INQUIRY}",
        strong=False,
    ),
    _p(
        "receipt",
        "arkivsystem",
        r"\b(?:elements|ephorte|websak|public 360|p360|acos|sikri|documaster)\b",
        strong=False,
    ),
    _p(
        "receipt",
        "offentlig journal",
        r"\b(?:offentlig(?:e)? journal|offentleg(?:e)? journal|postlisten|postlista|offentlighetsloven|offentleglova|"
        r"offentlig postjournal|kan bli offentlig|kan bli offentleg)",
        strong=False,
    ),
    _p(
        "receipt",
        "mottatt, takk",
        r"^(?:(?:hei|takk)[^.!?]{0,20}[.!,] )?(?:mottatt|motteke|motteken|har mottatt|har motteke|takk,? mottatt|"
        r"takk for (?:e-?posten|meldinga|meldingen),? (?:den er |ho er )?mottatt)(?:,? (?:med )?takk)?[.!]?$",
    ),
    _p(
        "receipt",
        "has been registered",
        r"\b(?:has been|have been|was|is) (?:registered|recorded|filed|logged|journalled)\b|\b(?:case|reference|document) "
        r"(?:number|no\.?|id)\b",
    ),
    _p(
        "receipt",
        "we have received your e-mail",
        r"\bwe (?:have|hereby confirm(?: that we have)?) receiv(?:ed|ing) your\b",
    ),
]

INTERIM = [
    _p(
        "interim",
        "foreløpig svar",
        r"\b(?:foreløpig|forelopig|førebels|forebels|mellombels)(?:e)? (?:svar|melding|tilbakemelding|beskjed)",
    ),
    _p(
        "interim",
        "trenger mer tid",
        r"\b(?:trenger|treng|trengs|behøver|behov for|må ha|bruker|brukar|tar|tek) (?:litt |noe |noko |noen |nokre |lite )?"
        r"(?:mer|meir|lengre|lenger|ekstra) tid",
    ),
    _p(
        "interim",
        "du vil få svar innen",
        r"\b(?:du |de )?(?:vil |skal |kan forvente å |kan rekne med å |kan regne med å |kan vente å )?(?:få|får) (?:(?:et|eit|endelig|endeleg|skriftlig|skriftleg) )*"
        r"svar (?:fra oss |frå oss |på henvendelsen |på spørsmålet |på henvendinga )?(?:innen|innan|i løpet av|seinast|senest|"
        r"om (?:\d|ein|en|to|tre|fire|fem|ei|et|eit|noen|nokre|kort)|neste|før|etter)",
    ),
    _p(
        "interim",
        "svar innen ...",
        r"\b(?:svar|svare|besvare|svara) (?:deg |på dette )?(?:innen|innan|seinast|senest) (?:\d|utgangen|slutten|neste|fredag|mandag|måndag|ei |en |to |tre )",
    ),
    _p(
        "interim",
        "sendt til ... for uttalelse",
        r"\b(?:saken|saka|spørsmålet|henvendelsen|henvendinga|spørsmåla|spørsmålene) (?:er|har blitt|har vorte|vil bli|blir|vert|er blitt) "
        r"(?:sendt|oversendt|videresendt|vidaresendt|forelagt|lagt fram|send) (?:til|for) [^.]{0,100}"
        r"(?:for|til) (?:uttalelse|uttale|vurdering|avklaring|gjennomgang|kommentar|fagleg vurdering|faglig vurdering)",
    ),
    _p(
        "interim",
        "vi kommer tilbake til deg",
        r"\b(?:vi|me|jeg|eg|hun|han|ho|saksbehandler|saksbehandlar) (?:kommer|kjem|skal komme|skal kome|vil komme|vil kome) "
        r"tilbake (?:til deg|med (?:et |eit )?svar|med mer|med meir|til saken|til saka|så snart|når|i løpet av|innen|innan)",
    ),
    _p(
        "interim",
        "vi undersøker saken",
        r"\b(?:vi|me|jeg|eg) (?:undersøker|undersøkjer|sjekker|sjekkar|ser på|ser nærmere på|ser nærare på|jobber med|"
        r"arbeider med|held på med|holder på med|innhenter|hentar inn|henter inn) (?:saken|saka|dette|spørsmålet|"
        r"spørsmåla|henvendelsen|henvendinga|svaret|di henvending|din henvendelse|opplysninger|opplysningar|informasjon)",
    ),
    _p(
        "interim",
        "beklager at det tar tid",
        r"\b(?:beklager|beklagar|orsak|vi beklager|vi beklagar) (?:at )?(?:det tar|det tek|svaret drøyer|svaret dreg ut|"
        r"forsinkelsen|seint svar|sent svar|at du ikke har fått|at du ikkje har fått|lang svartid|ventetida|ventetiden)",
    ),
    _p(
        "interim",
        "stor pågang",
        r"\b(?:på grunn av|grunna|pga\.?) (?:stor|høy|høg|mye|mykje|stort) (?:pågang|arbeidsmengde|saksmengde|arbeidspress|sakspågang|sakstal)",
        strong=False,
    ),
    _p(
        "interim",
        "svarer så snart det er klart",
        r"\b(?:svarer|svarar|svare|kommer tilbake|kjem tilbake|gir beskjed|gjev beskjed|gir deg svar|gjev deg svar) (?:til )?(?:deg )?"
        r"så (?:fort|snart|raskt) (?:de|dei|det|vi har|me har|vi får|me får|tallene|tala|svaret|saken|saka|vi veit|vi vet)\b",
    ),
    _p(
        "interim",
        "vi venter på opplysninger",
        r"\b(?:vi|me|jeg|eg) (?:venter|ventar|avventer|avventar) (?:på|svar frå|svar fra) (?:tall|tal|svar|opplysninger|opplysningar|"
        r"informasjon|tilbakemelding|avklaring|en avklaring|ei avklaring|uttalelse|uttale|vedtak|[a-zæøå]+avdelingen|[a-zæøå]+avdelinga)",
    ),
    _p(
        "interim",
        "krever utredning",
        r"\b(?:krever|krev|må|trenger|treng) (?:litt |noe |noko |nærmere |nærare )?(?:utredning|utgreiing|avklaring|undersøkelser|undersøkingar|"
        r"avklares|utredes|greiast ut|undersøkes|undersøkjast)\b",
        strong=False,
    ),
    _p(
        "interim",
        "vi må sjekke dette med ...",
        r"\b(?:vi|me|jeg|eg) (?:må|skal|vil) (?:først )?(?:sjekke|sjekka|undersøke|undersøkje|avklare|avklara|høre|høyre|spørre|"
        r"spørje|dobbeltsjekke|finne ut av|finna ut av) (?:dette|det|litt|nærmere|nærare|med|dette nærmere|det nærmere)\b",
    ),
    _p(
        "interim",
        "svarer deg i løpet av ...",
        rf"\b(?:svarer|svarar|gir|gjev|sender|kommer|kjem|ringer|ringjer)(?: deg)? (?:svar |beskjed |tilbake )?(?:til deg )?"
        rf"(?:i morgen|i løpet av|innen|innan|neste|seinare|senere|på {_DAY}|etter helga|etter helgen|over helga|over helgen)",
    ),
    _p(
        "interim",
        "du hører fra meg",
        r"\bdu (?:hører|høyrer|får høre|får høyre|vil høre|vil høyre) (?:fra|frå) (?:meg|oss|saksbehandler|saksbehandlar|kommunen)",
    ),
    _p(
        "interim",
        "sender deg svar når det er klart",
        r"\b(?:jeg|eg|vi|me) (?:skal |vil )?(?:sender|sendar|sende|gir|gjev|gi|kommer|kjem|svarer|svarar|ringer|ringjer|ettersender)"
        r"(?: deg)?[^.!?]{0,60} (?:når|så snart|straks) (?:de|dei|det|den|vi|me|jeg|eg|saken|saka|svaret|satsene|satsane|prisene|prisane|"
        r"tallene|tala|vedtaket|budsjettet) (?:er|blir|vert|har|får|ligg|ligger|kjem|kommer)",
    ),
    _p(
        "interim",
        "vi har ikke glemt deg",
        r"\b(?:vi|me) har (?:ikke|ikkje) glemt (?:deg|henvendelsen|spørsmålet|saka|saken)",
        strong=False,
    ),
    _p(
        "interim",
        "vil kontakte deg",
        r"\b(?:vil|skal|kommer til å|kjem til å) (?:ta kontakt med deg|kontakte deg|ringe deg|svare deg direkte)",
    ),
    _p(
        "interim",
        "han svarer deg i morgen",
        r"\b(?:han|ho|hun|dei|de|vi|me|eg|jeg|saksbehandleren|saksbehandlaren|sakshandsamaren|avdelingen|avdelinga) "
        r"(?:vil |skal |kjem til å |kommer til å )?(?:ringjer|ringer|ringe|ringje|svarar|svarer|svare|svara|kontaktar|"
        r"kontakter|kontakte|tar kontakt med|ta kontakt med|tek kontakt med) deg\b[^.!?]{0,40}\b(?:i morgon|"
        r"i morgen|i dag|på mandag|på måndag|på tirsdag|på tysdag|på onsdag|på torsdag|på fredag|neste veke|"
        r"neste uke|innan|innen|i løpet av|snarast|så snart|seinare|senere|etter|når)\b",
    ),
    _p(
        "interim",
        "vil svare deg",
        r"\b(?:han|ho|hun|dei|de|saksbehandleren|saksbehandlaren|sakshandsamaren) (?:har fått [^.!?]{0,60} og )?"
        r"(?:vil|skal|kjem til å|kommer til å) (?:svare|svara) deg\b",
    ),
    _p(
        "interim",
        "skal sjekke",
        r"\b(?:skal|vil|må) (?:sjekke|sjekka|undersøke|undersøkje|finne ut|sjå på|se på|sjå nærare på|se nærmere på)\b",
        strong=False,
    ),
    _p(
        "interim",
        "de svarer deg direkte",
        r"\b(?:de|dei|han|hun|ho|avdelingen|avdelinga|saksbehandleren|saksbehandlaren|sakshandsamaren) "
        r"(?:svarer|svarar|tar kontakt med|kontakter|kontaktar) deg (?:direkte|snart|så snart)",
    ),
    _p(
        "interim",
        "er ikke vedtatt ennå",
        r"\b(?:er|vert|blir) (?:ikke|ikkje) (?:vedtatt|vedteke|vedtekne|bestemt|fastsatt|fastsett|klare|klar|avklart|"
        r"avklara|publisert|ferdig|ferdige) (?:ennå|enno|enda|endå|før)\b",
        strong=False,
    ),
    _p(
        "interim",
        "jeg sender deg ... så snart",
        r"\b(?:jeg|eg|vi|me) (?:sender|sendar|skal sende|vil sende|gir|gjev|gir deg beskjed|gjev deg beskjed) "
        r"(?:deg )?[^.!?]{0,60}\b(?:så snart|straks|når) [^.!?]{0,40}\b(?:foreligger|ligg føre|er klar|er klare|"
        r"er vedtatt|er vedteke|er avgjort|har kommet|har kome|vet mer|veit meir)",
        strong=False,
    ),
    _p(
        "interim",
        "saken er under behandling",
        r"\b(?:saken|saka|henvendelsen|henvendinga|spørsmålet) er under (?:behandling|handsaming|arbeid|utgreiing|utredning)",
    ),
]

REFERRAL = [
    _p(
        "referral",
        "ta kontakt med ...",
        r"\b(?:ta|tek) (?:direkte |heller |i staden |i stedet )?kontakt (?:direkte )?med (?!oss\b|meg\b|undertegnede|underteikna|"
        r"kommunen igjen|postmottak igjen|saksbehandler igjen)",
    ),
    _p(
        "referral",
        "kontakt NAV/etat",
        rf"\b(?:kontakt|kontakte|ring|ringe|spør|spørje|spørre|vend deg til|henvend deg til) {_AGENCY}\b",
    ),
    _p(
        "referral",
        "imperative: kontakt/ring/spør ...",
        r"^(?:(?:hei|ok|takk)[^.!?]{0,30}[.!,] )?(?:kontakt|ring|spør|spør heller|vend deg til|henvend deg til|ta kontakt med|send e-post til|"
        r"send ein e-post til|send en e-post til|sjekk|sjå|se|les) (?!gjerne vedlagt|vedlagt|vedlegget|under|nedenfor)",
    ),
    _p("referral", "bare en lenke", r"^(?:se |sjå |les |sjekk )?(?:https?://|www\.)\S+\s*[.!]?$"),
    _p(
        "referral",
        "vi har videresendt din henvendelse",
        r"\b(?:vi |me |jeg |eg )?har (?:no |nå |derfor |difor |allerede |alt |også |òg )?(?:videresendt|vidaresendt|oversendt|videreformidlet|vidareformidla|"
        r"sendt videre|sendt vidare|sendt) (?:din |di )?(?:henvendelse|henvendelsen|henvending|henvendinga|e-?posten|"
        r"e-?post|meldingen|meldinga|spørsmålet|spørsmålene|spørsmåla|saken|saka|forespørselen|førespurnaden)"
        r"(?: din| di| ditt| dine| dykkar)?(?: om [^.!?]{0,60})? (?:videre |vidare )?til",
    ),
    _p(
        "referral",
        "henvendelsen er videresendt til",
        r"\b(?:henvendelsen|henvendinga|e-?posten|spørsmålet|saken|saka|meldingen|meldinga) (?:din |di )?(?:er|har blitt|er blitt|har vorte|vart|ble|blei) "
        r"(?:videresendt|vidaresendt|oversendt|sendt videre|sendt vidare|videreformidlet|vidareformidla) til",
    ),
    _p(
        "referral",
        "se våre nettsider",
        r"\b(?:se|sjå|les|besøk|sjekk|gå inn på|gå inn på) (?:gjerne |også |òg |meir |mer )?(?:på |informasjon på |info på |"
        r"informasjonen på )?" + _WEB,
    ),
    _p(
        "referral",
        "informasjon finner du på nettsidene",
        r"\b(?:du )?finn(?:er)? (?:du )?(?:mer |meir |all |nærmere |nærare |utfyllende |utfyllande |oppdatert )?"
        r"(?:informasjon|info|svar|opplysninger|opplysningar|priser|prisar|oversikt|detaljer|satsene|satsane|gebyrregulativet)"
        r"(?: om [^.]{0,60})? (?:på|i|under) " + _WEB,
    ),
    _p(
        "referral",
        "informasjon ligger på nettsidene",
        r"\b(?:informasjon|info|svar|opplysninger|opplysningar|dette)(?: om [^.]{0,60})? (?:finner du|finn du|ligger|ligg|står|er lagt ut) "
        r"(?:på|under|i) " + _WEB,
    ),
    _p(
        "referral",
        "dette må du spørre ... om",
        r"\b(?:dette|det|slike spørsmål|spørsmål om dette|spørsmålet ditt|spørsmålet) (?:må|bør|kan|skal) (?:du )?(?:heller )?"
        r"(?:spørre|spørje|ta opp med|kontakte|henvende deg til|vende deg til|ta kontakt med|sende til|sendes til|rettes til|rette til)",
    ),
    _p(
        "referral",
        "spørsmål om ... må rettes til",
        r"\b(?:spørsmål|spørsmålet|henvendelser|henvendelsen|henvendingar|førespurnader|slike saker|saker)(?: om [^.]{0,60})? "
        r"(?:må|bør|skal|kan) (?:heller |derfor )?(?:rettes|sendes|stilles|sendast|rettast|stillast) (?:direkte )?til",
    ),
    _p(
        "referral",
        "dette kan ... svare deg på",
        r"\b(?:dette|det|det spørsmålet|slike spørsmål) (?:kan|må|bør|vil) (?!jeg\b|eg\b|vi\b|me\b|du\b)(?:[a-zæøå-]+ ){1,3}"
        r"(?:svare (?:deg )?på|hjelpe deg med|gi (?:deg )?svar på|gje (?:deg )?svar på|svare deg)",
    ),
    _p(
        "referral",
        "viser til nettsiden",
        r"\b(?:viser|vil vise|henviser|tilviser) (?:deg |deg videre |vidare )?til " + _WEB,
    ),
    _p(
        "referral",
        "der står alt",
        r"\bder (?:står|finner du|finn du|ligger|ligg) (?:alt|all informasjon|all informasjonen|informasjonen|mer|meir|det du treng|det du trenger)",
        strong=False,
    ),
    _p(
        "referral",
        "send spørsmålet til ...",
        r"(?:^|[.!] |\b(?:du kan|du må|du bør|vennligst|venlegast|så) )(?:send|sende|rett|rette) (?:heller |gjerne |derfor )?"
        r"(?:spørsmålet|spørsmåla|henvendelsen|henvendinga|e-?posten|søknaden|dette)(?: ditt| din| di)? (?:direkte |heller )?til\b",
    ),
    _p(
        "referral",
        "håndteres av ...",
        r"\b(?:håndteres|behandles|handsamast|blir behandla|vert handsama|ligger|ligg) (?:av|hos|under) (?!oss\b|meg\b)"
        r"(?:[a-zæøåA-ZÆØÅ-]+ ){0,3}(?:etaten|avdelingen|avdelinga|eininga|enheten|kontoret|seksjonen|og bygg|bygg|nav|fylkeskommunen)\b",
        strong=False,
    ),
    _p(
        "referral",
        "du må henvende deg til",
        r"\bdu (?:må|bør|kan|skal) (?:heller |i staden |i stedet )?(?:henvende deg|vende deg|rette (?:spørsmålet|henvendelsen|henvendinga)|"
        r"sende (?:spørsmålet|henvendelsen|henvendinga)) (?:direkte )?til",
    ),
    _p(
        "referral",
        "rett instans",
        r"\b(?:rett|riktig|korrekt|ansvarleg|ansvarlig) (?:instans|etat|adresse|mottaker|mottakar|avdeling|kontor|etat)\b",
    ),
    _p(
        "referral",
        "ikke kommunens ansvar",
        r"\b(?:er|ligger|ligg|hører|høyrer) (?:derfor |difor |dessverre |altså |heller )?(?:ikke|ikkje) (?:under )?"
        r"(?:kommunens|kommunen sitt|vårt|eit kommunalt|et kommunalt|kommunalt)"
        r"|\bansvar(?:et)?(?: for)?,? (?:og )?(?:ikke|ikkje) (?:kommunens|kommunen sitt|kommunen|vårt)\b",
    ),
    _p("referral", "hører inn under", rf"\b(?:hører|høyrer|ligger|ligg) (?:inn )?under {_AGENCY}"),
    _p(
        "referral",
        "ring servicetorget",
        r"\b(?:ring|ringe|kontakt|ta kontakt med|kom innom) (?:oss på|servicetorget|innbyggertorget|tenestetorget|"
        r"sentralbordet|kundesenteret|servicesenteret|servicekontoret|innbyggerservice|kundeservice) "
        r"(?:på )?(?:telefon|tlf\.?)?",
        strong=False,
    ),
    _p(
        "referral",
        "svarer ikke på e-post",
        r"\b(?:svarer|svarar|besvarer|besvarar|svares|svarast|besvares) (?:vi |me )?(?:dessverre )?(?:ikke|ikkje) "
        r"(?:på )?(?:slike spørsmål |slike henvendelser |slike førespurnader )?(?:på |via |per )?(?:e-?post|e-?mail|mail)",
    ),
    _p(
        "referral",
        "kan ikke svare på dette",
        r"\b(?:vi |me )?(?:kan ikke|kan dessverre ikke|kan ikkje|kan dessverre ikkje) (?:svare|besvare|gi svar|gje svar|svare på|ta stilling til|uttale oss|gi deg svar)",
    ),
    _p(
        "referral",
        "det må du ta med ...",
        r"\b(?:må|bør|kan|skal) du (?:heller |derfor |difor |i staden |i stedet )?(?:ta (?:direkte |opp )(?:direkte )?med|"
        r"sende (?:[^.!?]{0,40} )?(?:direkte )?til|"
        r"rette (?:[^.!?]{0,40} )?(?:direkte )?(?:til|dit)|avklare [^.!?]{0,60}\bmed|sjekke [^.!?]{0,40}\bmed|"
        r"høre med|høyre med|spørre|spørje|henvende deg direkte|vende deg direkte)\b(?! oss\b| meg\b)",
    ),
    _p(
        "referral",
        "anbefaler at du tar kontakt med",
        r"\b(?:anbefaler|anbefalar|tilrår|råder|rår|foreslår|oppfordrer|oppmodar) (?:deg )?(?:at du |å |til å )?"
        r"(?:tar|ta|tek|kontakter|kontaktar|kontakte|ringer|ringjer|ringe|ringje) (?:kontakt med )?(?!oss\b|meg\b)",
    ),
    _p(
        "referral",
        "... finner du på nettsidene",
        r"\b(?:finner du|finn du|kan du finne|kan du lese|kan du sjå|kan du se|er lagt ut|er publisert|ligger|ligg|"
        r"står|stend|finnes|finst|du kan (?:også |òg )?(?:lese|se|sjå|finne)(?: [^.!?]{0,60})?) "
        r"(?:[a-zæøå]+ ){0,2}(?:på|under|i) " + _WEB,
    ),
    _p(
        "referral",
        "finner du her: lenke",
        r"\b(?:finner du|finn du|ligger|ligg|står|kan du lese) (?:her|nedenfor|under|på lenka|på lenken|på denne lenka|"
        r"på denne lenken)\s*:?\s*(?:https?://|www\.)",
    ),
    _p(
        "referral",
        "avtaler du direkte med dem",
        r"\b(?:avtaler|avtalar|ordner|ordnar|avklarer|avklarar|gjer|gjør) du (?:direkte |sjølv |selv )?med (?:dem|dei|de|"
        r"ham|han|henne|ho|selskapet|laget|utleier|utleigar|eieren|eigaren)\b",
    ),
    _p(
        "referral",
        "du kan kontakte dem",
        r"\bdu kan (?:kontakte|kontakta|ringe|ringje|sende e-post til|skrive til|nå) (?:dei|dem|de|selskapet|laget|"
        r"kontoret|dei direkte|dem direkte)\b",
    ),
    _p(
        "referral",
        "melde direkte til",
        r"\b(?:melde fra|melde frå|melde|sende|ringe|ringje|henvende deg|vende deg|ta kontakt)(?: [^.!?]{0,40})? "
        r"direkte (?:til|med)\b",
    ),
    _p(
        "referral",
        "denne adressen brukes bare til",
        r"\b(?:denne|dette) (?:adressen|adressa|e-?postadressen|e-?postadressa|postkassen|postkassa) (?:brukes|blir brukt|"
        r"vert brukt|er) (?:bare|berre|kun) (?:til|for)\b",
    ),
    _p(
        "referral",
        "det er dei som har ansvaret",
        r"\bdet er (?:dei|dem|de|[A-ZÆØÅ][^.!?]{0,40}) som (?:har ansvaret|har ansvar|svarar|svarer|har oversikt|"
        r"har tømekalenderen|har oversikta|driv|driver|eig|eier)\b",
        strong=False,
    ),
    _p(
        "referral",
        "eies og drives av",
        r"\b(?:eies|eiges|eigast|eigd|eid|drives|drivast|driftes|driftast|drevet|driven|driftet) (?:og (?:drives|drivast|"
        r"driftes|driftast) )?av (?!kommunen\b|oss\b)",
        strong=False,
    ),
    _p(
        "referral",
        "de treffes på telefon",
        r"\b(?:de|dei|dem|han|hun|ho|kontoret|avdelingen|avdelinga|enheten|eininga|selskapet|laget) (?:treffes|treffast|"
        r"nås|kan nås|kan nåast|er å treffe|har telefon|har opningstid|har åpningstid|kan kontaktes|kan kontaktast)\b",
        strong=False,
    ),
    _p(
        "referral",
        "kommunen gjør ikke dette selv",
        r"\b(?:kommunen|vi|me) (?:fakturerer|fakturerar|driv|driver|eier|eig|tilbyr|tilbyd|har|har ansvar for|"
        r"behandlar|behandler|handsamar) (?:ikke|ikkje)\b[^.!?]{0,60}\b(?:selv|sjølv|sjøl)\b"
        r"|\b(?:ikke|ikkje) (?:av|hos) kommunen\b",
        strong=False,
    ),
    _p(
        "referral",
        "bruk skjema",
        r"\b(?:bruk|benytt|nytt|fyll ut|send inn) (?:vårt |kommunens |det elektroniske |det digitale |eit |et )?(?:e-?skjema|skjema|søknadsskjema|kontaktskjema|digitale skjema|elektroniske skjema)",
        strong=False,
    ),
]

FILLER = [
    _p(
        "filler",
        "greeting",
        r"^(?:hei|hallo|heisann|hei hei|god dag|goddag|god morgen|god morgon|dear|hello|hi)\b[^.!?]{0,50}[,!.:]?$",
    ),
    _p("filler", "thanks", rf"^(?:og )?(?:tusen )?takk for {_INQUIRY}\b[^.!?]{{0,50}}[.!]?$"),
    _p(
        "filler",
        "closing",
        r"\b(?:ta|tek) (?:gjerne |berre |bare |du )?(?:gjerne |berre |bare )?kontakt[^.!?]{0,60}(?:dersom|om|hvis|viss|ved) "
        r"(?:du |de )?(?:har|lurer|ønsker|ønskjer|treng|trenger|skulle|fleire|flere|spørsmål|behov|noko|noe)",
    ),
    _p(
        "filler",
        "closing",
        r"\b(?:ha en|ha ein|ønsker deg en|ønskjer deg ein|ønskjer deg ei) (?:fin|god|strålende|flott|riktig god|fortsatt|fortsett)",
    ),
]

# A case system sending a letter as an attachment: the answer is in the attachment.
DISPATCH = _p(
    "answer",
    "vedlagt oversendes brev/svar",
    r"\bvedlagt (?:oversendes|oversendast|følger|følgjer|fylgjer|ligger|ligg|sendes|sendast|er) (?:[a-zæøå]+ ){0,2}"
    r"(?:dokument|dokumentet|brev|brevet|svar|svaret|svarbrev|vedtak|vedtaket|uttalelse|uttale|fråsegn)\b"
    r"|\b(?:oversender|oversendar|sender|sendar) (?:vi |me )?(?:herved |med dette )?(?:vedlagt )?(?:kommunens |vårt |vårt )?"
    r"(?:svar|svarbrev|brev|vedtak)\b(?! om at)",
)

ANSWER = [
    _p(
        "answer",
        "håper dette var til hjelp",
        r"\b(?:håper|håpar|håpe) (?:dette|det|svaret) (?:var|er) (?:til hjelp|svar|oppklarande|oppklarende|nyttig|tilstrekkeleg|tilstrekkelig)",
    ),
    _p(
        "answer",
        "vi kan opplyse at",
        r"\b(?:kan|vil) (?:opplyse|informere|svare|stadfeste at|bekrefte at|fortelle)(?: deg)?(?: om)? at",
    ),
    _p(
        "answer",
        "svaret er",
        r"\bsvaret (?:på spørsmålet ditt |på spørsmålet |på di henvending |på din henvendelse )?er\b",
    ),
    _p(
        "answer",
        "når det gjelder ditt spørsmål",
        r"\b(?:når det gjelder|når det gjeld|angående|ang\.|vedrørande|vedrørende) (?:spørsmålet|ditt spørsmål|di|din|dine|spørsmåla)",
    ),
    _p(
        "answer",
        "som svar på",
        r"\b(?:som svar på|i svar på|til svar på) (?:spørsmålet|din henvendelse|di henvending|henvendelsen|henvendinga|e-?posten)",
    ),
]

SUBJECT_AUTO = compile_phrase(
    r"^\s*(?:automatisk svar|automatic reply|autosvar|auto-svar|autoreply|auto-reply|auto reply|auto response|"
    r"fraværsmelding|fråværsmelding|fravær|fråvær|fraværende|fråverande|fråværande|out of office|out of the office|"
    r"ute av kontoret|abwesenheitsnotiz|"
    r"automatiskt svar|automatisch antwoord|ferie|på ferie)\b"
)
SUBJECT_READ_RECEIPT = compile_phrase(r"^\s*(?:lest|read|ikke lest|ikkje lest|not read|levert|delivered):")
SUBJECT_RECEIPT = compile_phrase(
    r"^\s*(?:kvittering|mottakskvittering|mottaksbekreftelse|mottaksstadfesting|melding mottatt|henvendelse mottatt|"
    r"din henvendelse er (?:mottatt|registrert)|di henvending er (?:motteken|registrert)|bekreftelse på mottatt|"
    r"stadfesting på motteke|mottatt:|registrert:|journalført:|we have received|vi har mottatt|me har motteke|"
    r"henvendelsen din er mottatt|takk for henvendelsen)"
)
SUBJECT_NDR = compile_phrase(
    r"^\s*(?:undeliverable|undelivered|kan ikke leveres|kan ikkje leverast|ikke levert|ikke leverbar|"
    r"levering mislyktes|delivery status notification \((?:failure|delay)\)|mail delivery failed|"
    r"returned mail|failure notice|delivery failure|message not delivered|non-?delivery|"
    r"undelivered mail returned to sender|mail delivery failure|delivery has failed|levering feilet)"
)

NDR_TEXT = [
    _p("bounce", "delivery has failed to these recipients", r"\bdelivery has failed to these recipients"),
    _p(
        "bounce",
        "levering til disse mottakerne mislyktes",
        r"\blevering(?:en)? til (?:disse|følgende|desse) (?:mottakerne|mottakarane|mottakere)[^.]{0,20} (?:mislyktes|mislukkast|feilet|mislukkas)",
    ),
    _p(
        "bounce",
        "meldingen kunne ikke leveres",
        r"\b(?:meldingen|meldinga|e-?posten) (?:din )?(?:kunne ikke|kunne ikkje|ble ikke|vart ikkje|blei ikke) (?:leveres|leverast|levert)",
    ),
    _p(
        "bounce",
        "message could not be delivered",
        r"\b(?:your )?message (?:could not|couldn't|wasn't|was not|cannot) (?:be )?delivered",
    ),
    _p(
        "bounce",
        "address not found",
        r"\b(?:address not found|adressen (?:ble|vart|blei) ikke funnet|e-?postadressen du (?:skrev|oppga) (?:inn )?(?:ble|vart) ikke funnet|couldn't be found|could not be found)",
    ),
    _p(
        "bounce",
        "permanent fatal errors",
        r"\b(?:permanent fatal errors?|permanent error|fatal error|permanent failure)",
    ),
    _p("bounce", "this is the mail system at host", r"\bthis is the mail system at host\b"),
    _p("bounce", "i'm sorry to have to inform you", r"\bi'?m sorry to have to inform you that your message"),
    _p(
        "bounce",
        "user unknown",
        r"\b(?:user unknown|unknown user|recipient address rejected|mailbox unavailable|mailbox not found|no such user|does not exist|unrouteable address|recipient not found|mailbox is full|quota exceeded)\b",
    ),
    _p(
        "bounce",
        "SMTP status 5.x.x",
        r"\b(?:550|551|552|553|554) ?[#-]?5\.\d{1,3}\.\d{1,3}\b|\b5\.[1-7]\.\d{1,3}\b",
    ),
    _p(
        "bounce",
        "following addresses have delivery notifications",
        r"\bfollowing addresses (?:had|have) (?:permanent fatal errors|delivery notifications)",
    ),
    _p(
        "bounce",
        "delivery to the following recipients failed",
        r"\bdelivery to the following recipients? (?:failed|has been delayed)",
    ),
    _p("bounce", "undeliverable", r"\bundeliverable\b"),
]

_STOPWORD_TEXT = """
    hei takk for og i på til av med som det den dei de du deg din di dine ditt oss vi me vår våre er var har
    hadde kan skal vil ville må bør blir vert ble vart være vere været eit ein en et ei om at ikke ikkje fra frå
    eller men så når kva hva kor hvor korleis hvordan hvilken hvilke kvifor hvorfor dette denne disse desse
    kommune kommunen spørsmål spørsmålet henvendelse henvendelsen hilsen helsing vennlig venleg med mvh
    the and for with your you this that have from what when where which would could should about
    jeg eg meg min mitt mine sin sitt sine seg også òg bare berre litt noe noko mye mykje mer meir gjerne
    ønsker ønskjer lurer lure gjelder gjeld angående vedrørende hvis viss dersom etter over under mellom
    """
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
