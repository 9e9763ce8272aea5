"""Code lists of the canonical model, each with its source.

CIN census code lists follow the DfE Children in Need census XML schema (as kept, one file per
census year, in the liiatools repository, ``liiatools/spec/cin_census/CIN_schema_2024.xsd`` at
commit 0dd821c2, and the 2025 schema in liia-tools-pipeline at commit 4aff9189) and the CIN
validator's rule lists (data-to-insight/csc-validator-be-cin at commit 1bf6f22e). DASH levels follow
the DASH 2009 risk model definitions as reproduced by local authorities. The remaining lists are
daeval's own vocabularies, defined in the data contract (docs/data-contract.md).

CIN codes are kept in their published upper-case form; daeval's own vocabularies are lower case.
Input is matched case-insensitively and stored in the canonical form declared here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

CIN_XSD = "DfE CIN census XML schema 2024 (liiatools CIN_schema_2024.xsd @0dd821c2)"
CIN_XSD_2025 = "DfE CIN census XML schema 2025 (liia-tools-pipeline spec @4aff9189)"
CINVAL = "DfE CIN validation rules (data-to-insight/csc-validator-be-cin @1bf6f22e)"
DASH_2009 = (
    "DASH 2009 risk model (ACPO/CAADA); level definitions as reproduced by Southampton City "
    "Council; College of Policing DARA (2022) uses the same three levels"
)
CONTRACT = "daeval data contract v1 (docs/data-contract.md)"


@dataclass(frozen=True)
class CodeList:
    """A closed list of codes with their meanings and the source they come from."""

    name: str
    codes: Mapping[str, str]
    source: str
    description: str = ""
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "codes", MappingProxyType(dict(self.codes)))

    def canonical(self, value: str) -> str | None:
        """The canonical spelling of ``value`` (matched case-insensitively), or None."""
        return self._folded().get(value.strip().casefold())

    def _folded(self) -> dict[str, str]:
        return {code.casefold(): code for code in self.codes}

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and self.canonical(value) is not None

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)


REFERRAL_SOURCE = CodeList(
    "referral_source",
    {
        "1A": "Individual: family member, relative or carer",
        "1B": "Individual: acquaintance (including neighbours and child minders)",
        "1C": "Individual: self",
        "1D": "Individual: other (including strangers)",
        "2A": "Schools",
        "2B": "Education services",
        "3A": "Health services: general practitioner (GP)",
        "3B": "Health services: health visitor",
        "3C": "Health services: school nurse",
        "3D": "Health services: other primary health services",
        "3E": "Health services: A&E (accident and emergency department)",
        "3F": "Health services: other (for example hospice)",
        "4": "Housing: local authority housing or housing association",
        "5A": "LA services: social care, for example adult social care services",
        "5B": "LA services: other internal (for example youth offending, excluding housing)",
        "5C": "LA services: external, for example another local authority's services",
        "5D": "LA services: early help",
        "6": "Police",
        "7": "Other legal agency: courts, probation, immigration, CAFCASS or prison",
        "8": "Other: children's centres, independent agency providers or voluntary organisations",
        "9": "Anonymous",
        "10": "Unknown",
    },
    source=f"{CIN_XSD}; {CINVAL} rule 8866",
    description="CIN census ReferralSource (N00152). 5D was added in census 2023.",
)

ASSESSMENT_FACTOR = CodeList(
    "assessment_factor",
    {
        "1A": "Alcohol misuse: by the child",
        "1B": "Alcohol misuse: by parent(s) or carer(s)",
        "1C": "Alcohol misuse: by another person living in the household",
        "2A": "Drug misuse: by the child",
        "2B": "Drug misuse: by parent(s) or carer(s)",
        "2C": "Drug misuse: by another person living in the household",
        "3A": "Domestic abuse: the child is the subject of domestic abuse",
        "3B": "Domestic abuse: the child's parent(s) or carer(s) are the subject of domestic abuse",
        "3C": "Domestic abuse: another person living in the household is the subject",
        "4A": "Mental health: of the child",
        "4B": "Mental health: of parent(s) or carer(s)",
        "4C": "Mental health: of another person in the family or household",
        "5A": "Learning disability: of the child",
        "5B": "Learning disability: of parent(s) or carer(s)",
        "5C": "Learning disability: of another person in the family or household",
        "6A": "Physical disability or illness: of the child",
        "6B": "Physical disability or illness: of parent(s) or carer(s)",
        "6C": "Physical disability or illness: of another person in the family or household",
        "7A": "Young carer",
        "8B": "Privately fostered: overseas children who intend to return",
        "8C": "Privately fostered: overseas children who intend to stay",
        "8D": "Privately fostered: UK children in educational placements",
        "8E": "Privately fostered: UK children making alternative family arrangements",
        "8F": "Privately fostered: other",
        "9A": "Unaccompanied asylum-seeking child",
        "10A": "Going or being missing",
        "11A": "Child sexual exploitation",
        "12A": "Trafficking",
        "13A": "Gangs",
        "14A": "Socially unacceptable behaviour",
        "15A": "Self-harm",
        "16A": "Abuse or neglect: neglect",
        "17A": "Abuse or neglect: emotional abuse",
        "18A": "Abuse or neglect: physical abuse (legacy, before census 2021)",
        "18B": "Abuse or neglect: physical abuse, child on child",
        "18C": "Abuse or neglect: physical abuse, adult on child",
        "19A": "Abuse or neglect: sexual abuse (legacy, before census 2021)",
        "19B": "Abuse or neglect: sexual abuse, child on child",
        "19C": "Abuse or neglect: sexual abuse, adult on child",
        "20": "Other",
        "21": "No factors identified",
        "22A": "Female genital mutilation",
        "23A": "Abuse linked to faith or belief",
        "24A": "Child criminal exploitation",
    },
    source=f"{CIN_XSD}; {CINVAL} rule 8897Q",
    description=(
        "CIN census factors identified at the end of assessment (N00181). 3A, 3B and 3C are the "
        "domestic abuse factors; 21 stands alone."
    ),
    notes=(
        "The schema files say 'Domestic violence' for 3A-3C; the Standard Safeguarding Dataset says "
        "'Domestic abuse'. daeval matches on codes, not wording.",
        "18A and 19A are legacy codes, still accepted but queried from census 2025.",
    ),
)

DOMESTIC_ABUSE_FACTORS = frozenset({"3A", "3B", "3C"})

REASON_FOR_CLOSURE = CodeList(
    "reason_for_closure",
    {
        "RC1": "Adopted",
        "RC2": "Died",
        "RC3": "Child arrangements order",
        "RC4": "Special guardianship order",
        "RC5": "Transferred to services of another local authority",
        "RC6": "Transferred to adult social care services",
        "RC7": "Services ceased for any other reason, including child no longer in need",
        "RC8": "Case closed after assessment, no further action",
        "RC9": "Case closed after assessment, referred to early help",
    },
    source=f"{CIN_XSD}; {CINVAL} rule 8640",
    description="CIN census ReasonForClosure (N00103). RC9 was added in census 2023.",
)

CATEGORY_OF_ABUSE = CodeList(
    "category_of_abuse",
    {
        "NEG": "Neglect",
        "PHY": "Physical abuse",
        "SAB": "Sexual abuse",
        "EMO": "Emotional abuse",
        "MUL": "Multiple (not recommended)",
    },
    source=f"{CIN_XSD}; {CINVAL} rule 8905",
    description="CIN census Initial/LatestCategoryOfAbuse (N00113, N00114). There is no DA category.",
)

ETHNICITY = CodeList(
    "ethnicity",
    {
        "WBRI": "White British",
        "WIRI": "White Irish",
        "WIRT": "Traveller of Irish heritage",
        "WOTH": "Any other White background",
        "WROM": "Gypsy/Roma",
        "MWBC": "White and Black Caribbean",
        "MWBA": "White and Black African",
        "MWAS": "White and Asian",
        "MOTH": "Any other mixed background",
        "AIND": "Indian",
        "APKN": "Pakistani",
        "ABAN": "Bangladeshi",
        "AOTH": "Any other Asian background",
        "BCRB": "Black Caribbean",
        "BAFR": "Black African",
        "BOTH": "Any other Black background",
        "CHNE": "Chinese",
        "OOTH": "Any other ethnic group",
        "REFU": "Refused",
        "NOBT": "Information not yet obtained",
    },
    source=f"{CIN_XSD} (Ethnicity, N00177)",
    description="CIN census ethnicity codes.",
)

ETHNICITY_GROUP = MappingProxyType(
    {
        **dict.fromkeys(["WBRI", "WIRI", "WIRT", "WOTH", "WROM"], "white"),
        **dict.fromkeys(["MWBC", "MWBA", "MWAS", "MOTH"], "mixed"),
        **dict.fromkeys(["AIND", "APKN", "ABAN", "AOTH"], "asian"),
        **dict.fromkeys(["BCRB", "BAFR", "BOTH"], "black"),
        **dict.fromkeys(["CHNE", "OOTH"], "other"),
        **dict.fromkeys(["REFU", "NOBT"], "unknown"),
    }
)
"""Major ethnic group of each CIN ethnicity code, by the code's first letter (W, M, A, B, C/O)."""

SEX = CodeList(
    "sex",
    {"M": "Male", "F": "Female", "U": "Unknown or not recorded (an unborn child is U)"},
    source=f"{CIN_XSD_2025} (Sex, N00783); {CINVAL} rule 4180",
    description="Sex as collected from census 2025; earlier GenderCurrent 1/2/0/9 maps to M/F/U/U.",
)

YES_NO = CodeList("yes_no", {"Y": "Yes", "N": "No"}, source=CONTRACT)

DISABILITY = YES_NO
"""The data contract records disability as Y/N; the CIN census's detailed codes map to Y unless NONE."""

CIN_DISABILITY = CodeList(
    "cin_disability",
    {
        "NONE": "No disability",
        "MOB": "Mobility",
        "HAND": "Hand function",
        "PC": "Personal care",
        "INC": "Incontinence",
        "COMM": "Communication",
        "LD": "Learning",
        "HEAR": "Hearing",
        "VIS": "Vision",
        "BEH": "Behaviour",
        "CON": "Consciousness",
        "AUT": "Autism or Asperger syndrome",
        "DDA": "Other DDA",
    },
    source=f"{CIN_XSD} (Disability, N00099)",
    description="CIN census disability codes; NONE cannot be combined with another code.",
)

SOURCE_SYSTEM = CodeList(
    "source_system",
    {"police": "Police force", "csc": "Children's social care"},
    source=CONTRACT,
    description="Known source systems; a service's records use `service:<site_id>`.",
)

INCIDENT_TYPE = CodeList(
    "incident_type",
    {
        "domestic_abuse": "Domestic abuse incident",
        "other_vulnerability": "Other vulnerable-person referral",
    },
    source=CONTRACT,
)

RISK_TOOL = CodeList(
    "risk_tool",
    {
        "DASH": "Domestic Abuse, Stalking and Harassment and Honour Based Violence risk checklist",
        "DARA": "College of Policing Domestic Abuse Risk Assessment (from November 2022)",
        "other": "Another risk tool",
    },
    source=f"{DASH_2009}; {CONTRACT}",
)

RISK_LEVEL = CodeList(
    "risk_level",
    {
        "standard": "Current evidence does not indicate likelihood of serious harm",
        "medium": "Identifiable indicators of risk of serious harm; unlikely unless circumstances change",
        "high": "Identifiable indicators of risk of serious harm; could happen at any time",
    },
    source=DASH_2009,
    description="Missing means not assessed.",
)

RISK_ORDER = MappingProxyType({"standard": 1, "medium": 2, "high": 3})
"""Ordering of risk levels, used to call a later level higher (escalated) or lower."""

DASH_HIGH_RISK_YES_COUNT = 14
"""SafeLives 'visible high risk': 14 or more yes answers on the DASH checklist (Marac criterion 1)."""

DECISION = CodeList(
    "decision",
    {
        "nfa": "No further action at the referral stage",
        "early_help": "Stepped to early help",
        "assessment": "Children and families (section 17) assessment",
        "s47": "Strategy discussion and section 47 enquiry",
    },
    source=CONTRACT,
    description=(
        "Front-door decision on a referral. 'nfa' is NFA at referral (CIN ReferralNFA); closure "
        "after assessment is recorded separately as RC8 or RC9."
    ),
)

THRESHOLD_LEVEL = CodeList(
    "threshold_level",
    {
        "1": "Universal",
        "2": "Additional needs",
        "3": "Complex needs",
        "4": "Specialist or statutory",
    },
    source="Local threshold documents (four levels is the common pattern); labels vary by area",
)

PLAN_TYPE = CodeList(
    "plan_type",
    {"CIN": "Child in need plan", "CP": "Child protection plan", "CLA": "Child looked after"},
    source=f"{CIN_XSD}; {CONTRACT}",
)

ROLE = CodeList(
    "role",
    {
        "child": "Child",
        "victim_parent": "Parent who is the victim of the abuse",
        "perpetrator_parent": "Parent who perpetrates the abuse",
        "other_carer": "Other carer",
    },
    source=CONTRACT,
)

ELIGIBILITY = CodeList(
    "eligibility",
    {"eligible": "Eligible", "ineligible": "Not eligible", "pending": "Not yet decided"},
    source=CONTRACT,
)

OFFER = CodeList(
    "offer",
    {
        "accepted": "Offer accepted",
        "declined": "Offer declined",
        "no_contact": "Could not be contacted to make the offer",
    },
    source=CONTRACT,
)

END_REASON = CodeList(
    "end_reason",
    {
        "completed": "Completed the intervention",
        "disengaged": "Stopped attending",
        "declined": "Declined to continue",
        "moved_away": "Moved out of the area",
        "unable_to_contact": "Could not be contacted",
        "escalated_to_csc": "Escalated to children's social care",
        "ineligible": "Found ineligible",
        "other": "Other reason",
    },
    source=CONTRACT,
)

DROPOUT_END_REASONS = frozenset({"disengaged", "declined", "moved_away", "unable_to_contact"})

CONSENT = CodeList(
    "evaluation_consent",
    {
        "Y": "Consented to the record's use for evaluation",
        "N": "Did not consent",
        "withdrawn": "Consent given, then withdrawn",
    },
    source=CONTRACT,
)

RESPONDENT = CodeList(
    "respondent",
    {
        "self": "The person answered about themselves",
        "parent": "A parent answered",
        "practitioner": "A practitioner answered",
        "teacher": "A teacher answered",
    },
    source=CONTRACT,
)

TIMEPOINT_PATTERN = r"^(baseline|mid|end|followup_[0-9]+)$"
"""Timepoints: baseline, mid, end, or followup_<months>."""

COST_CATEGORY = CodeList(
    "cost_category",
    {
        "staff": "Staff",
        "training": "Training",
        "supervision": "Supervision",
        "overheads": "Overheads",
        "materials": "Materials",
        "other": "Other",
    },
    source=CONTRACT,
)

INSTRUMENT = CodeList(
    "instrument",
    {
        "PHQ9": "Patient Health Questionnaire-9",
        "GAD7": "Generalized Anxiety Disorder 7-item scale",
        "CORE10": "Clinical Outcomes in Routine Evaluation, 10 items",
        "CRIES8": "Children's Revised Impact of Event Scale, 8 items",
        "CRIES13": "Children's Revised Impact of Event Scale, 13 items",
        "IESR": "Impact of Event Scale, Revised",
        "SCORE15": "Systemic Clinical Outcome and Routine Evaluation, 15 items",
        "SWEMWBS": "Short Warwick-Edinburgh Mental Wellbeing Scale",
        "WEMWBS": "Warwick-Edinburgh Mental Wellbeing Scale",
        "MORSSF": "Mothers' Object Relations Scales, Short Form",
        "TFA": "Theoretical Framework of Acceptability questionnaire",
        "AIM": "Acceptability of Intervention Measure",
        "IAM": "Intervention Appropriateness Measure",
        "FIM": "Feasibility of Intervention Measure",
        "DASH": "DASH risk identification checklist",
        "SDQ": "Strengths and Difficulties Questionnaire (licensed; scores only)",
        "ASQ3": "Ages & Stages Questionnaires, Third Edition (licensed; scores only)",
        "ASQSE2": "Ages & Stages Questionnaires: Social-Emotional, Second Edition (licensed; scores only)",
    },
    source=CONTRACT,
    description="Instrument registry codes; definitions and scoring come with the instrument library.",
)

ALL_CODE_LISTS: tuple[CodeList, ...] = (
    REFERRAL_SOURCE,
    ASSESSMENT_FACTOR,
    REASON_FOR_CLOSURE,
    CATEGORY_OF_ABUSE,
    ETHNICITY,
    SEX,
    YES_NO,
    CIN_DISABILITY,
    INCIDENT_TYPE,
    RISK_TOOL,
    RISK_LEVEL,
    DECISION,
    THRESHOLD_LEVEL,
    PLAN_TYPE,
    ROLE,
    ELIGIBILITY,
    OFFER,
    END_REASON,
    CONSENT,
    RESPONDENT,
    COST_CATEGORY,
    INSTRUMENT,
)
