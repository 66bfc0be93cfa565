//! The two languages of the public pages: choosing one, and every word the pages show.
//!
//! All wording lives here (page text, option labels, error messages, consent text) so a
//! translator reviews one file, and a test can check that no string was left untranslated.
//! Spanish addresses the reader as "tú", as the movement's Spanish outreach does.

use serde::{Deserialize, Serialize};

use crate::signup::{ErrorDetail, Interest, Involvement, Office, Timeframe};

/// A language the public pages are written in.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub enum Lang {
    #[default]
    #[serde(rename = "en")]
    En,
    #[serde(rename = "es")]
    Es,
}

impl Lang {
    /// Every language, the default first.
    pub const ALL: &'static [Lang] = &[Lang::En, Lang::Es];

    /// The BCP 47 tag, for `<html lang>`, `?lang=` and storage: `en` or `es`.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    /// Reads a language tag by its primary subtag: `es`, `ES`, `es-MX` and `es_419` are all
    /// Spanish, because any Spanish reader is better served by our Spanish than our English.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
        Lang::ALL
            .iter()
            .copied()
            .find(|l| l.as_str().eq_ignore_ascii_case(primary))
    }

    /// The language the "read in the other language" link switches to.
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Es,
            Lang::Es => Lang::En,
        }
    }

    /// Picks the page language: an explicit `?lang=` wins (a person who clicked "Español"
    /// meant it, whatever their browser says); otherwise the supported language the browser
    /// ranks highest in `Accept-Language`; otherwise English.
    pub fn from_query_or_header(query_lang: Option<&str>, accept_language: Option<&str>) -> Lang {
        query_lang
            .and_then(Lang::parse)
            .or_else(|| accept_language.and_then(Lang::from_accept_language))
            .unwrap_or_default()
    }

    /// The supported language with the highest q-value; on a tie the one listed first.
    /// Languages with `q=0` are ones the reader explicitly does not want.
    fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        // A real header lists a handful of languages; the cap keeps a hostile one cheap.
        for item in header.split(',').take(32) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or_default();
            let Some(lang) = Lang::parse(tag) else {
                continue;
            };
            let mut q = 1.0_f32;
            for param in parts {
                let param = param.trim();
                if let Some(value) = param.strip_prefix("q=").or(param.strip_prefix("Q=")) {
                    q = value.trim().parse().unwrap_or(0.0);
                }
            }
            if q.is_nan() || q <= 0.0 {
                continue;
            }
            let q = q.min(1.0);
            if best.is_none_or(|(best_q, _)| q > best_q) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The version of the consent wording below. Stored with every consent, so we can show
/// exactly what a person agreed to; bump it whenever any consent text changes in any language.
pub const CONSENT_VERSION: &str = "2026-11-01";

/// The exact words shown next to one consent checkbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsentText {
    /// Which permission: `email`, `sms` or `share`, as the form field `consent_<channel>`.
    pub channel: &'static str,
    /// Which wording: [`CONSENT_VERSION`] at the time it was shown.
    pub version: &'static str,
    /// The sentence, shown as the checkbox label and stored with the consent.
    pub text: &'static str,
}

const CONSENTS_EN: [ConsentText; 3] = [
    ConsentText {
        channel: "email",
        version: CONSENT_VERSION,
        text: "Email me about running for office, volunteering and the movement's work. \
               I can unsubscribe at any time.",
    },
    ConsentText {
        channel: "sms",
        version: CONSENT_VERSION,
        text: "Text me at the number above about running for office and volunteering. \
               Message frequency varies. Message and data rates may apply. \
               Reply STOP to stop, HELP for help.",
    },
    ConsentText {
        channel: "share",
        version: CONSENT_VERSION,
        text: "Share my name and contact details with partner organizations that train \
               and support candidates and volunteers, so they can contact me. \
               I can take this back at any time.",
    },
];

const CONSENTS_ES: [ConsentText; 3] = [
    ConsentText {
        channel: "email",
        version: CONSENT_VERSION,
        text: "Envíenme correos sobre cómo postularme a un cargo, hacer voluntariado y el \
               trabajo del movimiento. Puedo darme de baja en cualquier momento.",
    },
    ConsentText {
        channel: "sms",
        version: CONSENT_VERSION,
        text: "Envíenme mensajes de texto al número de arriba sobre cómo postularme a un \
               cargo y hacer voluntariado. La frecuencia de los mensajes varía. Pueden \
               aplicarse tarifas de mensajes y datos. Responde STOP para dejar de \
               recibirlos o HELP para obtener ayuda.",
    },
    ConsentText {
        channel: "share",
        version: CONSENT_VERSION,
        text: "Compartan mi nombre y mis datos de contacto con organizaciones aliadas que \
               capacitan y apoyan a candidatos y voluntarios, para que puedan comunicarse \
               conmigo. Puedo retirar este permiso en cualquier momento.",
    },
];

/// The consent checkboxes' wording in `lang`, in the order the form shows them:
/// e-mail, SMS, sharing with partners.
pub fn consent_texts(lang: Lang) -> [ConsentText; 3] {
    match lang {
        Lang::En => CONSENTS_EN,
        Lang::Es => CONSENTS_ES,
    }
}

/// Every string of the public sign-up page and the thank-you page, in one language.
#[derive(Debug)]
pub struct Texts {
    /// This language's name in itself, e.g. "Español".
    pub language_name: &'static str,
    /// Label of the link to the same page in the other language, written in that language.
    pub other_language_label: &'static str,
    /// `<title>` of the sign-up page.
    pub page_title: &'static str,
    /// Main heading of the sign-up page.
    pub intro_heading: &'static str,
    /// Paragraph under the heading: why we ask and what happens next.
    pub intro_body: &'static str,
    /// Marker after the label of a required field.
    pub required_marker: &'static str,
    /// Marker after the label of an optional field.
    pub optional_marker: &'static str,
    /// Title of the box that lists the form's errors.
    pub error_summary_title: &'static str,
    /// Prefix of each inline error, read out by screen readers (visually hidden) and put
    /// before the page title when the form comes back with errors.
    pub error_prefix: &'static str,

    /// Legend of the name fields.
    pub name_legend: &'static str,
    /// Label of the first-name field.
    pub given_name_label: &'static str,
    /// Label of the last-name field.
    pub family_name_label: &'static str,

    /// Legend of the e-mail and phone fields.
    pub contact_legend: &'static str,
    /// Hint under the contact legend: at least one of the two is needed.
    pub contact_hint: &'static str,
    /// Label of the e-mail field.
    pub email_label: &'static str,
    /// Hint under the e-mail field.
    pub email_hint: &'static str,
    /// Label of the phone field.
    pub phone_label: &'static str,
    /// Hint under the phone field.
    pub phone_hint: &'static str,

    /// Legend of the address fields.
    pub address_legend: &'static str,
    /// Hint under the address legend: why we ask.
    pub address_hint: &'static str,
    /// Label of the street-address field.
    pub address_line_label: &'static str,
    /// Label of the city field.
    pub locality_label: &'static str,
    /// Label of the state drop-down.
    pub region_label: &'static str,
    /// The drop-down's blank first choice: leave it and we take the state from the ZIP.
    pub region_blank_option: &'static str,
    /// Label of the ZIP field.
    pub postal_code_label: &'static str,
    /// Hint under the ZIP field.
    pub postal_code_hint: &'static str,

    /// Legend of the run / volunteer / both choice.
    pub interest_legend: &'static str,
    /// Option: run for office.
    pub interest_run: &'static str,
    /// Option: volunteer.
    pub interest_volunteer: &'static str,
    /// Option: both.
    pub interest_both: &'static str,

    /// Legend of the offices checkboxes.
    pub offices_legend: &'static str,
    /// Hint under the offices legend.
    pub offices_hint: &'static str,
    /// Option: school board.
    pub office_school_board: &'static str,
    /// Option: city or town office.
    pub office_municipal: &'static str,
    /// Option: county office.
    pub office_county: &'static str,
    /// Option: state legislature.
    pub office_state_legislature: &'static str,
    /// Option: statewide office.
    pub office_statewide: &'static str,
    /// Option: Congress.
    pub office_congress: &'static str,
    /// Option: judge or other judicial office.
    pub office_judicial: &'static str,
    /// Option: something else.
    pub office_other: &'static str,
    /// Option: not sure yet.
    pub office_not_sure: &'static str,

    /// Legend of the timeframe choice.
    pub timeframe_legend: &'static str,
    /// Option: this election cycle.
    pub timeframe_this_cycle: &'static str,
    /// Option: the next cycle.
    pub timeframe_next_cycle: &'static str,
    /// Option: someday.
    pub timeframe_someday: &'static str,

    /// Legend of the involvement checkboxes.
    pub involvement_legend: &'static str,
    /// Hint under the involvement legend.
    pub involvement_hint: &'static str,
    /// Option: volunteered.
    pub involvement_volunteered: &'static str,
    /// Option: donated.
    pub involvement_donated: &'static str,
    /// Option: went to an event.
    pub involvement_attended_event: &'static str,
    /// Option: organized.
    pub involvement_organized: &'static str,
    /// Option: has held office.
    pub involvement_held_office: &'static str,
    /// Option: nothing yet.
    pub involvement_none_yet: &'static str,
    /// Label of the free-text "tell us more" box.
    pub involvement_detail_label: &'static str,
    /// Hint under the "tell us more" box.
    pub involvement_detail_hint: &'static str,

    /// Label of the birth-year field.
    pub birth_year_label: &'static str,
    /// Hint under the birth-year field: why we ask.
    pub birth_year_hint: &'static str,

    /// Legend of the consent checkboxes (their labels come from [`consent_texts`]).
    pub consent_legend: &'static str,
    /// Hint under the consent legend.
    pub consent_hint: &'static str,
    /// Short privacy note above the submit button.
    pub privacy_note: &'static str,
    /// The submit button.
    pub submit: &'static str,

    /// `<title>` of the thank-you page.
    pub thank_you_title: &'static str,
    /// Heading of the thank-you page.
    pub thank_you_heading: &'static str,
    /// Body of the thank-you page: what happens next.
    pub thank_you_body: &'static str,
    /// A closing line asking them to bring a friend.
    pub thank_you_share: &'static str,
    /// Link back to an empty form, to sign up someone else.
    pub thank_you_again: &'static str,

    /// Heading of the partner choice on the thank-you page.
    pub partners_heading: &'static str,
    /// What ticking a partner means.
    pub partners_intro: &'static str,
    /// The button saving the choices.
    pub partners_save: &'static str,
    /// After saving, when no partner was chosen.
    pub partners_saved_none: &'static str,
    /// After saving: followed by the chosen partners' names.
    pub partners_saved_some: &'static str,
    /// The consent words for one partner: `{partner}` and `{offers}` are filled in.
    pub partners_consent: &'static str,
    /// Heading of the races where the person lives, on the thank-you page.
    pub races_heading: &'static str,
    /// The thank-you page's link to races and partners, and that page's heading.
    pub next_step: &'static str,
    /// When no partner organization takes this person.
    pub partners_none: &'static str,
}

impl Texts {
    /// The option label for an interest.
    pub fn interest_label(&self, interest: Interest) -> &'static str {
        match interest {
            Interest::Run => self.interest_run,
            Interest::Volunteer => self.interest_volunteer,
            Interest::Both => self.interest_both,
        }
    }

    /// The option label for an office.
    pub fn office_label(&self, office: Office) -> &'static str {
        match office {
            Office::SchoolBoard => self.office_school_board,
            Office::Municipal => self.office_municipal,
            Office::County => self.office_county,
            Office::StateLegislature => self.office_state_legislature,
            Office::Statewide => self.office_statewide,
            Office::Congress => self.office_congress,
            Office::Judicial => self.office_judicial,
            Office::Other => self.office_other,
            Office::NotSure => self.office_not_sure,
        }
    }

    /// The option label for a timeframe.
    pub fn timeframe_label(&self, timeframe: Timeframe) -> &'static str {
        match timeframe {
            Timeframe::ThisCycle => self.timeframe_this_cycle,
            Timeframe::NextCycle => self.timeframe_next_cycle,
            Timeframe::Someday => self.timeframe_someday,
        }
    }

    /// The option label for a kind of involvement.
    pub fn involvement_label(&self, involvement: Involvement) -> &'static str {
        match involvement {
            Involvement::Volunteered => self.involvement_volunteered,
            Involvement::Donated => self.involvement_donated,
            Involvement::AttendedEvent => self.involvement_attended_event,
            Involvement::Organized => self.involvement_organized,
            Involvement::HeldOffice => self.involvement_held_office,
            Involvement::NoneYet => self.involvement_none_yet,
        }
    }

    /// Every string, for tests that check both languages are complete.
    #[cfg(test)]
    fn all_strings(&self) -> Vec<&'static str> {
        let mut all = vec![
            self.language_name,
            self.other_language_label,
            self.page_title,
            self.intro_heading,
            self.intro_body,
            self.required_marker,
            self.optional_marker,
            self.error_summary_title,
            self.error_prefix,
            self.name_legend,
            self.given_name_label,
            self.family_name_label,
            self.contact_legend,
            self.contact_hint,
            self.email_label,
            self.email_hint,
            self.phone_label,
            self.phone_hint,
            self.address_legend,
            self.address_hint,
            self.address_line_label,
            self.locality_label,
            self.region_label,
            self.region_blank_option,
            self.postal_code_label,
            self.postal_code_hint,
            self.interest_legend,
            self.offices_legend,
            self.offices_hint,
            self.timeframe_legend,
            self.involvement_legend,
            self.involvement_hint,
            self.involvement_detail_label,
            self.involvement_detail_hint,
            self.birth_year_label,
            self.birth_year_hint,
            self.consent_legend,
            self.consent_hint,
            self.privacy_note,
            self.submit,
            self.thank_you_title,
            self.thank_you_heading,
            self.thank_you_body,
            self.thank_you_share,
            self.thank_you_again,
            self.partners_heading,
            self.partners_intro,
            self.partners_save,
            self.partners_saved_none,
            self.partners_saved_some,
            self.partners_consent,
            self.races_heading,
            self.next_step,
            self.partners_none,
        ];
        all.extend(Interest::ALL.iter().map(|v| self.interest_label(*v)));
        all.extend(Office::ALL.iter().map(|v| self.office_label(*v)));
        all.extend(Timeframe::ALL.iter().map(|v| self.timeframe_label(*v)));
        all.extend(Involvement::ALL.iter().map(|v| self.involvement_label(*v)));
        all
    }
}

static EN: Texts = Texts {
    language_name: "English",
    other_language_label: "Leer en español",
    page_title: "Run for office — yes, you",
    intro_heading: "Run for office. Yes, you.",
    intro_body: "Thousands of seats on school boards, city councils and state legislatures go \
                 uncontested every year. Tell us a little about yourself and we'll connect you \
                 with people who can help you run, or put you to work helping someone else win. \
                 It takes about a minute.",
    required_marker: "(required)",
    optional_marker: "(optional)",
    error_summary_title: "There is a problem",
    error_prefix: "Error:",

    name_legend: "Your name",
    given_name_label: "First name",
    family_name_label: "Last name",

    contact_legend: "How can we reach you?",
    contact_hint: "Give us an email address, a phone number, or both.",
    email_label: "Email address",
    email_hint: "For example, name@example.com",
    phone_label: "Phone number",
    phone_hint: "A US number, or start with + and the country code. We only text you if you \
                 tick the box below.",

    address_legend: "Where do you live?",
    address_hint: "Your ZIP code tells us which races are on your ballot. A street address \
                   helps us find your exact districts.",
    address_line_label: "Street address",
    locality_label: "City or town",
    region_label: "State or territory",
    region_blank_option: "Use my ZIP code",
    postal_code_label: "ZIP code",
    postal_code_hint: "5 digits, for example 05401",

    interest_legend: "What would you like to do?",
    interest_run: "Run for office",
    interest_volunteer: "Volunteer for candidates",
    interest_both: "Both",

    offices_legend: "Which offices interest you?",
    offices_hint: "Choose any that apply. \"Not sure yet\" is a fine answer.",
    office_school_board: "School board",
    office_municipal: "City or town office, such as council or mayor",
    office_county: "County office",
    office_state_legislature: "State legislature",
    office_statewide: "Statewide office, such as governor or attorney general",
    office_congress: "Congress",
    office_judicial: "Judge or other judicial office",
    office_other: "Something else",
    office_not_sure: "Not sure yet",

    timeframe_legend: "When might you run?",
    timeframe_this_cycle: "In the coming election",
    timeframe_next_cycle: "In the election after that",
    timeframe_someday: "Someday — I'm just exploring",

    involvement_legend: "How have you been involved so far?",
    involvement_hint: "Choose any that apply.",
    involvement_volunteered: "Volunteered for a campaign or cause",
    involvement_donated: "Donated to a campaign or cause",
    involvement_attended_event: "Went to a rally, meeting or event",
    involvement_organized: "Organized people in my community",
    involvement_held_office: "Held elected or appointed office",
    involvement_none_yet: "Nothing yet — this is my first step",
    involvement_detail_label: "Tell us more",
    involvement_detail_hint: "The causes you care about, the groups you belong to, the \
                              experience you'd bring.",

    birth_year_label: "Year you were born",
    birth_year_hint: "Some offices have a minimum age. For example, 1985",

    consent_legend: "Staying in touch",
    consent_hint: "Each of these is optional, and you can change your mind at any time.",
    privacy_note: "We use what you tell us to help you run or volunteer. We never sell it, and \
                   we share it with partner organizations only if you tick that box.",
    submit: "Sign me up",

    thank_you_title: "Thank you for signing up",
    thank_you_heading: "Thank you — you're in.",
    thank_you_body: "We'll be in touch soon about next steps: trainings, people near you who \
                     are organizing, and the races on your ballot.",
    thank_you_share: "Know someone who should run? Send them this page.",
    thank_you_again: "Sign up someone else",
    partners_heading: "Get connected to organizations that train candidates",
    partners_intro: "These partner organizations work where you live. Tick the ones that may receive your details; the others receive nothing. You can come back through this page and untick one at any time.",
    partners_save: "Save my choices",
    partners_saved_none: "Saved: no partner organization receives your details.",
    partners_saved_some: "Saved. These organizations will receive your details and be in touch:",
    races_heading: "Races where you live",
    next_step: "See the races where you live and get connected",
    partners_none: "No partner organization works with people in your situation yet; we will keep you posted.",
    partners_consent: "I agree that {partner} may receive my name, e-mail, phone, city, state, ZIP code and what I signed up for, to contact me about {offers}. I can withdraw this at any time.",
};

static ES: Texts = Texts {
    language_name: "Español",
    other_language_label: "Read in English",
    page_title: "Postúlate a un cargo público: sí, tú",
    intro_heading: "Postúlate a un cargo. Sí, tú.",
    intro_body: "Cada año, miles de puestos en juntas escolares, concejos municipales y \
                 legislaturas estatales quedan sin nadie que compita por ellos. Cuéntanos un poco \
                 sobre ti y te pondremos en contacto con personas que pueden ayudarte a \
                 postularte, o con campañas que necesitan tu ayuda para ganar. Toma más o menos \
                 un minuto.",
    required_marker: "(obligatorio)",
    optional_marker: "(opcional)",
    error_summary_title: "Hay un problema",
    error_prefix: "Error:",

    name_legend: "Tu nombre",
    given_name_label: "Nombre",
    family_name_label: "Apellidos",

    contact_legend: "¿Cómo podemos comunicarnos contigo?",
    contact_hint: "Danos un correo electrónico, un número de teléfono o los dos.",
    email_label: "Correo electrónico",
    email_hint: "Por ejemplo, nombre@ejemplo.com",
    phone_label: "Número de teléfono",
    phone_hint: "Un número de EE. UU., o empieza con + y el código del país. Solo te \
                 enviaremos mensajes de texto si marcas la casilla de abajo.",

    address_legend: "¿Dónde vives?",
    address_hint: "Con tu código postal sabemos qué cargos se eligen donde vives. Con tu \
                   dirección podemos encontrar tus distritos exactos.",
    address_line_label: "Dirección",
    locality_label: "Ciudad o pueblo",
    region_label: "Estado o territorio",
    region_blank_option: "Según mi código postal",
    postal_code_label: "Código postal (ZIP)",
    postal_code_hint: "5 dígitos, por ejemplo 05401",

    interest_legend: "¿Qué te gustaría hacer?",
    interest_run: "Postularme a un cargo",
    interest_volunteer: "Hacer voluntariado para candidatos",
    interest_both: "Las dos cosas",

    offices_legend: "¿Qué cargos te interesan?",
    offices_hint: "Marca todos los que correspondan. «Todavía no lo sé» también es una buena \
                   respuesta.",
    office_school_board: "Junta escolar",
    office_municipal: "Cargo municipal, como el concejo o la alcaldía",
    office_county: "Cargo del condado",
    office_state_legislature: "Legislatura estatal",
    office_statewide: "Cargo estatal, como la gubernatura o la fiscalía general",
    office_congress: "Congreso",
    office_judicial: "Cargo judicial",
    office_other: "Otro",
    office_not_sure: "Todavía no lo sé",

    timeframe_legend: "¿Cuándo te gustaría postularte?",
    timeframe_this_cycle: "En las próximas elecciones",
    timeframe_next_cycle: "En las elecciones siguientes",
    timeframe_someday: "Algún día; por ahora solo estoy explorando",

    involvement_legend: "¿Cómo has participado hasta ahora?",
    involvement_hint: "Marca todas las que correspondan.",
    involvement_volunteered: "Hice voluntariado para una campaña o causa",
    involvement_donated: "Doné a una campaña o causa",
    involvement_attended_event: "Fui a un mitin, una reunión o un evento",
    involvement_organized: "Organicé a gente de mi comunidad",
    involvement_held_office: "Ocupé un cargo electo o designado",
    involvement_none_yet: "Nada todavía: este es mi primer paso",
    involvement_detail_label: "Cuéntanos más",
    involvement_detail_hint: "Las causas que te importan, los grupos de los que formas parte, \
                              la experiencia que aportarías.",

    birth_year_label: "Año de nacimiento",
    birth_year_hint: "Algunos cargos tienen una edad mínima. Por ejemplo, 1985",

    consent_legend: "Mantente en contacto",
    consent_hint: "Todas estas opciones son voluntarias y puedes cambiar de opinión en \
                   cualquier momento.",
    privacy_note: "Usamos lo que nos cuentas para ayudarte a postularte o hacer voluntariado. \
                   Nunca lo vendemos, y solo lo compartimos con organizaciones aliadas si marcas \
                   esa casilla.",
    submit: "Inscribirme",

    thank_you_title: "Gracias por inscribirte",
    thank_you_heading: "¡Gracias! Ya te inscribiste.",
    thank_you_body: "Pronto te escribiremos con los próximos pasos: capacitaciones, gente que \
                     se está organizando cerca de ti y los cargos que se eligen donde vives.",
    thank_you_share: "¿Conoces a alguien que debería postularse? Mándale esta página.",
    thank_you_again: "Inscribir a otra persona",
    partners_heading: "Conéctese con organizaciones que preparan a candidatos",
    partners_intro: "Estas organizaciones aliadas trabajan donde usted vive. Marque las que pueden recibir sus datos; las demás no reciben nada. Puede volver a esta página y desmarcar una en cualquier momento.",
    partners_save: "Guardar mis opciones",
    partners_saved_none: "Guardado: ninguna organización aliada recibe sus datos.",
    partners_saved_some: "Guardado. Estas organizaciones recibirán sus datos y se pondrán en contacto:",
    races_heading: "Elecciones donde usted vive",
    next_step: "Vea las elecciones donde usted vive y conéctese",
    partners_none: "Todavía ninguna organización aliada trabaja con personas en su situación; le mantendremos al tanto.",
    partners_consent: "Acepto que {partner} reciba mi nombre, correo electrónico, teléfono, ciudad, estado, código postal y lo que indiqué al inscribirme, para contactarme sobre {offers}. Puedo retirar este permiso en cualquier momento.",
};

/// The page wording in `lang`.
pub fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::En => &EN,
        Lang::Es => &ES,
    }
}

/// What a field is called inside an error message, e.g. "First name" / "El nombre".
fn field_noun(field: &str, lang: Lang) -> &'static str {
    match (field, lang) {
        ("given_name", Lang::En) => "First name",
        ("given_name", Lang::Es) => "El nombre",
        ("family_name", Lang::En) => "Last name",
        ("family_name", Lang::Es) => "El apellido",
        ("email", Lang::En) => "Email address",
        ("email", Lang::Es) => "El correo electrónico",
        ("address_line", Lang::En) => "Street address",
        ("address_line", Lang::Es) => "La dirección",
        ("locality", Lang::En) => "City or town",
        ("locality", Lang::Es) => "La ciudad o pueblo",
        (_, Lang::En) => "This answer",
        (_, Lang::Es) => "Esta respuesta",
    }
}

/// The message for an error on `field` with `code`: says what is wrong and how to fix it.
pub(crate) fn field_error_message(
    field: &str,
    code: &str,
    detail: Option<&ErrorDetail>,
    lang: Lang,
) -> String {
    use ErrorDetail as D;
    use Lang::{En, Es};
    let s = |text: &str| text.to_owned();
    match (field, code, detail, lang) {
        ("given_name", "required", _, En) => s("Enter your first name"),
        ("given_name", "required", _, Es) => s("Escribe tu nombre"),

        ("email", "email_or_phone", _, En) => {
            s("Enter an email address or a phone number, so we can reach you")
        }
        ("email", "email_or_phone", _, Es) => s(
            "Escribe un correo electrónico o un número de teléfono para que podamos \
             comunicarnos contigo",
        ),
        ("email", "invalid", _, En) => s("Enter an email address like name@example.com"),
        ("email", "invalid", _, Es) => s("Escribe un correo electrónico como nombre@ejemplo.com"),

        ("phone", "invalid", _, En) => s(
            "Enter a US phone number like (802) 863-1234, or an international number \
             starting with + and the country code",
        ),
        ("phone", "invalid", _, Es) => s(
            "Escribe un número de EE. UU. como (802) 863-1234, o un número internacional \
             que empiece con + y el código del país",
        ),

        ("region", _, _, En) => s("Choose your state or territory from the list"),
        ("region", _, _, Es) => s("Elige tu estado o territorio de la lista"),

        ("postal_code", "required", _, En) => s("Enter your ZIP code"),
        ("postal_code", "required", _, Es) => s("Escribe tu código postal"),
        ("postal_code", "invalid", _, En) => s("Enter a 5-digit ZIP code, like 05401"),
        ("postal_code", "invalid", _, Es) => s("Escribe un código postal de 5 dígitos, como 05401"),
        ("postal_code", "unknown_zip", Some(D::Zip(zip)), En) => {
            format!("We can't find ZIP code {zip}. Check it and try again")
        }
        ("postal_code", "unknown_zip", Some(D::Zip(zip)), Es) => {
            format!("No encontramos el código postal {zip}. Revísalo e inténtalo de nuevo")
        }
        ("postal_code", "unknown_zip", _, En) => {
            s("We can't find that ZIP code. Check it and try again")
        }
        ("postal_code", "unknown_zip", _, Es) => {
            s("No encontramos ese código postal. Revísalo e inténtalo de nuevo")
        }
        (
            "postal_code",
            "zip_state_mismatch",
            Some(D::ZipState {
                zip,
                zip_state,
                chosen,
            }),
            _,
        ) => match lang {
            En => format!(
                "ZIP code {zip} is in {}, not {}. Check your ZIP code or state",
                zip_state.name_in(En),
                chosen.name_in(En)
            ),
            Es => format!(
                "El código postal {zip} está en {}, no en {}. Revisa tu código postal o tu estado",
                zip_state.name_in(Es),
                chosen.name_in(Es)
            ),
        },
        ("postal_code", "zip_state_mismatch", _, En) => {
            s("That ZIP code is in a different state. Check your ZIP code or state")
        }
        ("postal_code", "zip_state_mismatch", _, Es) => {
            s("Ese código postal está en otro estado. Revisa tu código postal o tu estado")
        }

        ("interest", _, _, En) => s("Choose whether you'd like to run, volunteer or both"),
        ("interest", _, _, Es) => {
            s("Elige si quieres postularte, hacer voluntariado o las dos cosas")
        }
        ("offices", _, _, En) => s("Choose offices from the list"),
        ("offices", _, _, Es) => s("Elige cargos de la lista"),
        ("timeframe", _, _, En) => s("Choose when you might run from the list"),
        ("timeframe", _, _, Es) => s("Elige de la lista cuándo te gustaría postularte"),
        ("involvement", _, _, En) => s("Choose how you've been involved from the list"),
        ("involvement", _, _, Es) => s("Elige de la lista cómo has participado"),

        ("involvement_detail", "too_long", Some(D::MaxChars(max)), En) => {
            format!(
                "Shorten this to {} characters or fewer",
                thousands(*max, En)
            )
        }
        ("involvement_detail", "too_long", Some(D::MaxChars(max)), Es) => {
            format!("Acórtalo a {} caracteres como máximo", thousands(*max, Es))
        }

        ("birth_year", "invalid", _, En) => {
            s("Enter the year you were born as 4 digits, like 1985")
        }
        ("birth_year", "invalid", _, Es) => {
            s("Escribe tu año de nacimiento con 4 dígitos, como 1985")
        }
        ("birth_year", "too_young", _, En) => s("You must be 13 or older to sign up"),
        ("birth_year", "too_young", _, Es) => s("Debes tener 13 años o más para inscribirte"),
        ("birth_year", "too_old", Some(D::BirthYears { earliest, .. }), En) => {
            format!("Enter a year of birth from {earliest} on")
        }
        ("birth_year", "too_old", Some(D::BirthYears { earliest, .. }), Es) => {
            format!("Escribe un año de nacimiento a partir de {earliest}")
        }

        (field, "too_long", Some(D::MaxChars(max)), En) => format!(
            "{} must be {} characters or fewer",
            field_noun(field, En),
            thousands(*max, En)
        ),
        (field, "too_long", Some(D::MaxChars(max)), Es) => format!(
            "{} debe tener {} caracteres como máximo",
            field_noun(field, Es),
            thousands(*max, Es)
        ),
        (field, "too_long", _, En) => format!("{} is too long", field_noun(field, En)),
        (field, "too_long", _, Es) => format!("{} es demasiado largo", field_noun(field, Es)),

        (field, "required", _, En) => format!("Enter this: {}", field_noun(field, En)),
        (field, "required", _, Es) => format!("Completa este dato: {}", field_noun(field, Es)),
        (_, _, _, En) => s("Check this answer"),
        (_, _, _, Es) => s("Revisa esta respuesta"),
    }
}

/// 2000 → "2,000" in English, "2000" in Spanish (the RAE writes four-digit numbers
/// without a separator).
fn thousands(n: usize, lang: Lang) -> String {
    let digits = n.to_string();
    if lang == Lang::Es && digits.len() <= 4 {
        return digits;
    }
    let separator = match lang {
        Lang::En => ',',
        // The RAE's recommended separator: a (thin) space.
        Lang::Es => '\u{202f}',
    };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_wins_over_header() {
        assert_eq!(
            Lang::from_query_or_header(Some("es"), Some("en-US,en")),
            Lang::Es
        );
        assert_eq!(Lang::from_query_or_header(Some("en"), Some("es")), Lang::En);
        assert_eq!(Lang::from_query_or_header(Some("ES-mx"), None), Lang::Es);
    }

    #[test]
    fn unknown_query_falls_back_to_header() {
        assert_eq!(
            Lang::from_query_or_header(Some("fr"), Some("es-MX")),
            Lang::Es
        );
        assert_eq!(Lang::from_query_or_header(Some(""), Some("es")), Lang::Es);
    }

    #[test]
    fn header_ranked_by_q_value() {
        let pick = |h| Lang::from_query_or_header(None, Some(h));
        assert_eq!(pick("es-MX,es;q=0.9,en-US;q=0.8,en;q=0.7"), Lang::Es);
        assert_eq!(pick("en-US,en;q=0.9,es;q=0.8"), Lang::En);
        assert_eq!(pick("fr-FR,fr;q=0.9,es;q=0.5,en;q=0.4"), Lang::Es);
        assert_eq!(pick("en;q=0.3, es;q=0.6"), Lang::Es);
        assert_eq!(pick("es;q=0, en;q=0.1"), Lang::En);
        assert_eq!(pick("es;q=0"), Lang::En);
        assert_eq!(pick("fr, de"), Lang::En);
        assert_eq!(pick("es;q=abc"), Lang::En);
        assert_eq!(pick("es , en"), Lang::Es);
        assert_eq!(pick("*"), Lang::En);
        assert_eq!(pick(""), Lang::En);
        assert_eq!(Lang::from_query_or_header(None, None), Lang::En);
    }

    #[test]
    fn tags() {
        assert_eq!(Lang::Es.as_str(), "es");
        assert_eq!(Lang::En.other(), Lang::Es);
        assert_eq!(Lang::parse("es_419"), Some(Lang::Es));
        assert_eq!(Lang::parse("eso"), None);
        assert_eq!(serde_json::to_string(&Lang::Es).unwrap(), "\"es\"");
    }

    #[test]
    fn consents_match_across_languages() {
        let en = consent_texts(Lang::En);
        let es = consent_texts(Lang::Es);
        let channels: Vec<_> = en.iter().map(|c| c.channel).collect();
        assert_eq!(channels, ["email", "sms", "share"]);
        for (e, s) in en.iter().zip(&es) {
            assert_eq!(e.channel, s.channel);
            assert_eq!(e.version, s.version);
            assert_eq!(e.version, CONSENT_VERSION);
            assert_ne!(e.text, s.text);
            assert!(!e.text.contains("  ") && !s.text.contains("  "));
        }
    }

    #[test]
    fn every_string_is_written_and_translated() {
        let en = texts(Lang::En).all_strings();
        let es = texts(Lang::Es).all_strings();
        assert_eq!(en.len(), es.len());
        for text in en.iter().chain(&es) {
            assert!(!text.trim().is_empty());
            assert_eq!(text.trim(), *text, "{text:?}");
            assert!(
                !text.contains("  "),
                "line continuation left a gap: {text:?}"
            );
        }
        let same: Vec<_> = en
            .iter()
            .zip(&es)
            .filter(|(e, s)| e == s)
            .map(|(e, _)| *e)
            .collect();
        // The same word in both languages is fine only where it really is the same word.
        assert_eq!(same, ["Error:"]);
    }

    #[test]
    fn option_labels() {
        let es = texts(Lang::Es);
        assert_eq!(es.interest_label(Interest::Both), "Las dos cosas");
        assert_eq!(es.office_label(Office::SchoolBoard), "Junta escolar");
        assert_eq!(
            texts(Lang::En).timeframe_label(Timeframe::Someday),
            "Someday — I'm just exploring"
        );
        assert_eq!(
            texts(Lang::En).involvement_label(Involvement::NoneYet),
            "Nothing yet — this is my first step"
        );
    }

    #[test]
    fn number_formatting() {
        assert_eq!(thousands(2000, Lang::En), "2,000");
        assert_eq!(thousands(2000, Lang::Es), "2000");
        assert_eq!(thousands(100, Lang::En), "100");
        assert_eq!(thousands(1234567, Lang::En), "1,234,567");
        assert_eq!(thousands(12345, Lang::Es), "12\u{202f}345");
    }
}
