//! `serve --demo`: a workspace to try the product in, created on first start
//! with realistic contacts and a sales pipeline full of deals.

use af_core::contact::Attribution;
use af_core::{Actor, Role};
use af_db::contacts::{ContactInput, upsert_contact};
use af_db::deals::{NewDeal, Placement, insert_deal, move_deal};
use af_db::{Db, Ts, pipelines};
use af_service::provision;
use anyhow::Context as _;

pub const DEMO_SLUG: &str = "demo";
pub const DEMO_EMAIL: &str = "demo@agencyflow.local";

/// One demo lead: a contact and its deal.
struct DemoLead {
    first: &'static str,
    last: &'static str,
    company: &'static str,
    source: &'static str,
    campaign: &'static str,
    deal: &'static str,
    pesos: i64,
    /// Index of the stage the deal sits in.
    stage: usize,
    /// Comma-separated.
    tags: &'static str,
    /// A mobile number (E.164), so WhatsApp, SMS and calls can be tried.
    phone: &'static str,
    /// Lead score, as if earned from visits, forms and replies.
    score: i64,
}

macro_rules! leads {
    ($(($first:literal, $last:literal, $company:literal, $source:literal, $campaign:literal, $deal:literal, $pesos:literal, $stage:literal, $tags:literal, $phone:literal, $score:literal)),* $(,)?) => {
        &[$(DemoLead { first: $first, last: $last, company: $company, source: $source, campaign: $campaign, deal: $deal, pesos: $pesos, stage: $stage, tags: $tags, phone: $phone, score: $score }),*]
    };
}

#[rustfmt::skip]
const LEADS: &[DemoLead] = leads![
    ("Mariana", "López", "Clínica Dental Sonrisa", "facebook", "implantes-2026", "Campaña de implantes", 45_000, 0, "salud", "+525512345601", 35),
    ("Jorge", "Hernández", "Taquería El Güero", "google", "local-seo", "SEO local", 12_000, 0, "restaurante", "+528112345602", 10),
    ("Sofía", "Ramírez", "Inmobiliaria Cumbres", "instagram", "preventa-torre", "Lanzamiento preventa", 120_000, 1, "inmobiliaria,vip", "+523312345603", 80),
    ("Luis", "García", "Gimnasio FitZone", "referido", "", "Membresías online", 30_000, 1, "fitness", "+525512345604", 25),
    ("Valeria", "Martínez", "Boutique Luna", "facebook", "temporada-verano", "Tienda en línea", 55_000, 2, "retail", "+573001234505", 45),
    ("Carlos", "Sánchez", "Despacho Sánchez & Asoc.", "google", "abogados-cdmx", "Generación de leads", 38_000, 2, "servicios", "+525512345606", 40),
    ("Daniela", "Torres", "Escuela Montessori Arcoíris", "landing", "inscripciones", "Inscripciones 2027", 42_000, 3, "educacion,vip", "+56961234507", 75),
    ("Miguel", "Flores", "Autos Seminuevos Flores", "facebook", "financiamiento", "Anuncios de inventario", 60_000, 3, "automotriz", "+528112345608", 55),
    ("Fernanda", "Rivera", "Spa Serena", "instagram", "dia-de-las-madres", "Paquetes de temporada", 25_000, 4, "belleza", "+525512345609", 30),
    ("Ricardo", "Gómez", "Constructora Norte", "referido", "", "Sitio corporativo", 85_000, 4, "construccion", "+573101234510", 60),
    ("Paola", "Díaz", "Veterinaria Patitas", "google", "vacunas", "Campaña de vacunación", 18_000, 5, "salud", "+525512345611", 15),
    ("Andrés", "Morales", "Café Altura", "landing", "franquicias", "Franquicias", 70_000, 0, "restaurante,vip", "+56961234512", 70),
    ("Gabriela", "Cruz", "Óptica Visión Clara", "facebook", "examen-gratis", "Citas de examen visual", 22_000, 1, "salud", "+525512345613", 20),
    ("Héctor", "Reyes", "Hotel Boutique Casa Azul", "google", "reservas-directas", "Reservas directas", 95_000, 2, "turismo", "+573151234514", 65),
    ("Camila", "Ortiz", "Pastelería Dulce Hogar", "instagram", "pedidos-online", "Pedidos a domicilio", 15_000, 0, "restaurante", "+525512345615", 5),
];

/// Creates the demo workspace and owner if missing; returns the password
/// when it was just created (it is shown once, like any secret).
pub async fn ensure_demo(db: &Db, now: Ts) -> anyhow::Result<Option<String>> {
    if af_db::workspaces::find_workspace_by_slug(db, DEMO_SLUG)
        .await?
        .is_some()
    {
        return Ok(None);
    }
    let ws =
        provision::create_workspace(db, DEMO_SLUG, "Agencia Demo", None, None, None, now).await?;
    let password = af_core::crypto::random_token(12);
    let owner = provision::add_user(
        db,
        &ws,
        DEMO_EMAIL,
        Some("Demo"),
        &password,
        Role::Owner,
        now,
    )
    .await?;
    fill_crm(db, ws.id, owner.user.id, now).await?;
    install_workflows(db, ws.id, now).await?;
    add_calendar(db, &ws, now).await?;
    add_members(db, &ws, owner.user.id, now).await?;
    Ok(Some(password))
}

/// Gym-style members with memberships and visits, so Contactos →
/// Retención has something to show: `(first, last, days since the last
/// visit, membership status, days until it ends)`.
const MEMBERS: &[(&str, &str, i64, &str, Option<i64>)] = &[
    ("Sofía", "Navarro", 2, "active", None),
    ("Diego", "Castro", 16, "active", None),
    ("Valeria", "Ruiz", 35, "active", None),
    ("Andrés", "Molina", 1, "active", Some(5)),
    ("Paula", "Herrera", 3, "past_due", None),
    ("Tomás", "Vega", 4, "trial", Some(20)),
];

async fn add_members(
    db: &Db,
    ws: &af_db::workspaces::Workspace,
    owner: af_core::UserId,
    now: Ts,
) -> anyhow::Result<()> {
    let actor = Actor::system();
    // The owner has the retention duty: the members' alerts are theirs.
    let mut tx = db.begin().await?;
    af_db::retention::set_retention_duty(&mut tx, ws.id, owner, true).await?;
    tx.commit().await?;
    let day = |n: i64| Ts::new(now.0 + jiff::SignedDuration::from_hours(24 * n));
    for (first, last, away, status, ends_in) in MEMBERS {
        let email = format!("{}.{}@socios.mx", first.to_lowercase(), last.to_lowercase())
            .replace('í', "i")
            .replace('é', "e")
            .replace('á', "a")
            .replace('ó', "o");
        let req: af_service::memberships::MembershipRequest =
            serde_json::from_value(serde_json::json!({
                "email": email, "name": format!("{first} {last}"), "plan": "Mensual",
                "status": status, "starts_at": day(-120).0.to_string(),
                "ends_at": ends_in.map(|d| day(d).0.to_string()),
                "amount": 79_900, "currency": "MXN",
            }))?;
        let saved = af_service::memberships::save(db, ws, &req, &actor, day(-120))
            .await
            .map_err(|e| anyhow::anyhow!("demo membership: {e}"))?;
        // A visit every three days until the last one.
        let mut visits = Vec::new();
        let mut d = *away;
        while d <= 60 {
            visits.push(af_service::scoring::RawActivity {
                contact_id: Some(saved.membership.contact_id.to_string()),
                kind: Some("visit".into()),
                occurred_at: Some(day(-d).0.to_string()),
                idempotency_key: Some(format!("demo-visit:{email}:{d}")),
                source: Some("demo".into()),
                ..Default::default()
            });
            d += 3;
        }
        af_service::scoring::record_batch(db, ws, &visits, &actor, now)
            .await
            .map_err(|e| anyhow::anyhow!("demo visits: {e}"))?;
    }
    af_service::retention::check_now(db, ws, &actor, now).await?;
    Ok(())
}

/// The demo's booking calendar, so its booking link (`/book/demo`, the
/// `{{ booking_url }}` its workflows send) works: a free 30-minute call on
/// weekday mornings and afternoons, with two questions.
pub const DEMO_CALENDAR: &str = "asesoria";

async fn add_calendar(db: &Db, ws: &af_db::workspaces::Workspace, now: Ts) -> anyhow::Result<()> {
    let mut availability = Vec::new();
    for weekday in 1..=5 {
        availability
            .push(serde_json::json!({"weekday": weekday, "start": "09:00", "end": "13:00"}));
        availability
            .push(serde_json::json!({"weekday": weekday, "start": "15:00", "end": "18:00"}));
    }
    let req: af_service::calendars::CalendarRequest = serde_json::from_value(serde_json::json!({
        "name": "Asesoría gratuita",
        "slug": DEMO_CALENDAR,
        "description": "Una llamada de 30 minutos para revisar tu marketing y proponerte un plan.",
        "location_kind": "video",
        "location": "https://meet.example.com/agencia-demo",
        "time_zone": ws.time_zone,
        "duration_minutes": 30,
        "buffer_after_minutes": 10,
        "min_notice_minutes": 60,
        "availability": availability,
        "hosts": [DEMO_EMAIL],
        "tags": ["asesoria"],
        "questions": [
            {"name": "servicio", "type": "select", "label": "Servicio de interés", "label_en": "Service you are interested in",
             "required": true, "options": ["SEO", "Anuncios", "Redes sociales", "Sitio web"]},
            {"name": "objetivo", "type": "textarea", "label": "¿Qué quieres lograr?", "label_en": "What do you want to achieve?"}
        ]
    }))
    .context("the demo calendar's definition")?;
    af_service::calendars::save_calendar(db, ws, None, &req, now)
        .await
        .map_err(|e| anyhow::anyhow!("the demo calendar: {e:?}"))?;
    Ok(())
}

/// The shipped workflows in the order the demo prefers them active: the
/// PAUTA speed-to-lead sequence shows every channel, so it wins over the
/// plain welcome emails.
const WORKFLOW_PREFERENCE: [&str; 5] = [
    "pauta_speed_to_lead",
    "pauta_booking",
    "hot_lead",
    "membership_follow_up",
    "welcome_sequence",
];

/// Installs every shipped workflow (ready to look at) and activates, in
/// [`WORKFLOW_PREFERENCE`] order, each one that does not message a lead on
/// a channel another active one already uses for the same trigger — one
/// coherent set, so a new demo lead gets each message once.
async fn install_workflows(db: &Db, ws: af_core::WorkspaceId, now: Ts) -> anyhow::Result<()> {
    let mut active: Vec<af_db::automations::Workflow> = Vec::new();
    for key in WORKFLOW_PREFERENCE {
        let saved = af_engine::library::install(db, ws, key, false, now)
            .await
            .with_context(|| format!("installing the {key} workflow template"))?;
        for s in saved {
            let Some(mut w) = af_db::automations::find_workflow(db, ws, s.id).await? else {
                continue;
            };
            w.status = "active".into();
            let mut trial = active.clone();
            trial.push(w.clone());
            if af_engine::overlaps::find(&trial).is_empty() {
                af_engine::ops::set_active(db, ws, s.id, true, now).await?;
                active.push(w);
            }
        }
    }
    Ok(())
}

/// Contacts with attribution and tags, and one deal each spread over the
/// default pipeline's stages.
async fn fill_crm(
    db: &Db,
    ws: af_core::WorkspaceId,
    owner: af_core::UserId,
    now: Ts,
) -> anyhow::Result<()> {
    let pipeline = pipelines::default_pipeline(db, ws)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no default pipeline"))?;
    let actor = Actor::system();
    let mut tx = db.begin().await?;
    let scorer = af_db::scoring::Scorer::load(&mut tx, ws).await?;
    for (i, l) in LEADS.iter().enumerate() {
        // Leads arrive over the last three weeks, so the dashboard's
        // charts have days to draw.
        let created =
            Ts::new(now.0 - jiff::SignedDuration::from_hours((i as i64 * 37) % (21 * 24)));
        let DemoLead {
            first,
            last,
            company,
            source,
            campaign,
            deal: title,
            pesos,
            stage,
            tags,
            phone,
            score,
        } = l;
        let email = format!(
            "{}.{}@ejemplo.mx",
            first.to_lowercase(),
            last.to_lowercase()
        )
        .replace(['á', 'à'], "a")
        .replace('é', "e")
        .replace('í', "i")
        .replace('ó', "o")
        .replace('ú', "u")
        .replace('ñ', "n");
        let input = ContactInput {
            first_name: first.to_string(),
            last_name: last.to_string(),
            email: Some(email),
            phone: Some(phone.to_string()),
            owner_id: Some(owner),
            company: Some(company.to_string()),
            source: Some(source.to_string()),
            attribution: Attribution {
                utm_source: Some(source.to_string()),
                utm_medium: Some(
                    if *source == "referido" {
                        "referral"
                    } else {
                        "cpc"
                    }
                    .to_string(),
                ),
                utm_campaign: (!campaign.is_empty()).then(|| campaign.to_string()),
                ..Default::default()
            },
            tags: tags
                .split(',')
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
            ..Default::default()
        };
        let contact = upsert_contact(&mut tx, ws, &input, &actor, created)
            .await?
            .contact;
        earn_score(&mut tx, ws, &scorer, contact.id, *score, &actor, now).await?;
        let deal = insert_deal(
            &mut tx,
            ws,
            &NewDeal {
                contact_id: contact.id,
                pipeline_id: Some(pipeline.pipeline.id),
                stage_id: None,
                title: title.to_string(),
                value_minor: pesos * 100,
                currency: "MXN".into(),
                owner_id: Some(owner),
            },
            &actor,
            now,
        )
        .await?;
        if let Some(target) = pipeline.stages.get(*stage).filter(|_| *stage > 0) {
            move_deal(
                &mut tx,
                ws,
                deal.id,
                target.id,
                Placement::default(),
                &actor,
                now,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Activities that earn `score` under the default rules (visits +10,
/// email opens +5, spread over the last days), so the "why" panel has
/// lines to show; what they cannot make is one `demo` ledger line.
async fn earn_score(
    tx: &mut af_db::Tx,
    ws: af_core::WorkspaceId,
    scorer: &af_db::scoring::Scorer,
    contact: af_core::ContactId,
    score: i64,
    actor: &Actor,
    now: Ts,
) -> anyhow::Result<()> {
    let (visits, opens) = (score / 10, (score % 10) / 5);
    let kinds = std::iter::repeat_n("visit", visits as usize)
        .chain(std::iter::repeat_n("email_opened", opens as usize));
    for (i, kind) in kinds.enumerate() {
        let a = af_db::scoring::NewActivity {
            contact,
            kind: kind.into(),
            occurred_at: Ts::new(now.0 - jiff::SignedDuration::from_hours(24 * (i as i64 + 1))),
            source: "demo".into(),
            data: serde_json::json!({}),
            idempotency_key: Some(format!("demo:{contact}:{i}")),
        };
        af_db::scoring::record_activity(tx, ws, scorer, &a, actor, now).await?;
    }
    let earned = af_db::scoring::scores_of_tx(tx, ws, contact).await?;
    if earned != score {
        af_db::automations::change_score(
            tx,
            ws,
            contact,
            score - earned,
            "demo",
            "seed",
            actor,
            now,
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn demo_is_created_once_with_a_full_pipeline() {
        let t = af_db::testing::fresh_db().await;
        let now = Ts::new("2026-11-21T10:00:00Z".parse().expect("time"));
        let password = ensure_demo(&t.db, now).await.expect("demo");
        assert!(password.is_some_and(|p| p.len() >= 12));
        assert!(
            ensure_demo(&t.db, now).await.expect("again").is_none(),
            "created once"
        );
        let ws = af_db::workspaces::find_workspace_by_slug(&t.db, DEMO_SLUG)
            .await
            .expect("q")
            .expect("ws");
        assert_eq!(
            af_db::contacts::count_contacts(&t.db, ws.id)
                .await
                .expect("count"),
            (LEADS.len() + MEMBERS.len()) as i64
        );
        // The members away 16 and 35 days, the one ending in 5 days and
        // the one past due each have an alert.
        let alerts = af_db::retention::list_alerts(&t.db, ws.id, &Default::default(), None, 50)
            .await
            .expect("alerts");
        let mut risks: Vec<(String, i64)> =
            alerts.into_iter().map(|a| (a.alert_type, a.risk)).collect();
        risks.sort();
        assert_eq!(
            risks,
            vec![
                ("membership_expiring".to_string(), 50),
                ("no_attendance".to_string(), 70),
                ("no_attendance".to_string(), 90),
                ("payment_failed".to_string(), 80),
            ]
        );
        let p = pipelines::default_pipeline(&t.db, ws.id)
            .await
            .expect("q")
            .expect("pipeline");
        let totals = af_db::deals::stage_totals(&t.db, ws.id, p.pipeline.id)
            .await
            .expect("totals");
        assert!(
            totals.len() >= p.stages.len(),
            "deals in every stage: {totals:?}"
        );
        // Scores are earned by activities under the default rules.
        assert!(
            af_db::scoring::ledger_mismatches(&t.db, ws.id)
                .await
                .expect("ledger")
                .is_empty()
        );
        assert_eq!(
            af_db::scoring::list_rules(&t.db, ws.id)
                .await
                .expect("rules")
                .len(),
            7
        );
        let top = af_db::scoring::top_leads(&t.db, ws.id, 1)
            .await
            .expect("top");
        let lines = af_db::scoring::list_ledger(&t.db, ws.id, af_core::ContactId(top[0].id), 50)
            .await
            .expect("lines");
        assert!(lines.iter().any(|l| l.activity_id.is_some()), "{lines:?}");
        // Every contact can be tried on every channel, is owned and scored.
        let all = af_db::contacts::list_contacts(
            &t.db,
            ws.id,
            &af_db::contacts::ContactFilter::default(),
            None,
            100,
        )
        .await
        .expect("contacts");
        let leads = all.iter().filter(|c| {
            !c.email
                .as_deref()
                .is_some_and(|e| e.ends_with("@socios.mx"))
        });
        for c in leads {
            let phone = c.phone.as_deref().expect("a phone");
            let country = if phone.starts_with("+57") {
                "CO"
            } else if phone.starts_with("+56") {
                "CL"
            } else {
                "MX"
            };
            assert_eq!(
                af_core::contact::normalize_phone(phone, country).as_deref(),
                Ok(phone),
                "{phone} is a valid mobile"
            );
            assert!(c.owner_id.is_some() && c.score > 0, "{}", c.first_name);
        }
        for prefix in ["+52", "+57", "+56"] {
            assert!(
                all.iter()
                    .any(|c| c.phone.as_deref().is_some_and(|p| p.starts_with(prefix)))
            );
        }

        // Every shipped workflow is there; the active ones never message a
        // lead twice, and the speed-to-lead sequence is among them.
        let workflows = af_db::automations::list_workflows(&t.db, ws.id)
            .await
            .expect("workflows");
        for tpl in af_engine::library::TEMPLATES {
            assert!(
                workflows
                    .iter()
                    .any(|w| w.template_key.as_deref() == Some(tpl.key)),
                "{} installed",
                tpl.key
            );
        }
        assert_eq!(af_engine::overlaps::find(&workflows), vec![]);
        let active = |key: &str| {
            workflows
                .iter()
                .any(|w| w.template_key.as_deref() == Some(key) && w.status == "active")
        };
        assert!(active("pauta_speed_to_lead") && active("hot_lead"));
        assert!(
            !active("welcome_sequence"),
            "it would email new leads twice"
        );

        // The booking link works: the calendar offers slots next week.
        let cal = af_db::calendars::find_by_slug(&t.db, ws.id, DEMO_CALENDAR)
            .await
            .expect("q")
            .expect("calendar");
        let monday: jiff::civil::Date = "2026-11-23".parse().expect("date");
        let av = af_service::calendars::availability(&t.db, &cal, monday, monday, now)
            .await
            .expect("slots");
        assert!(av.slots.len() >= 10, "{} slots", av.slots.len());
    }

    #[test]
    fn the_preference_names_every_shipped_workflow_once() {
        let mut listed = WORKFLOW_PREFERENCE.to_vec();
        listed.sort_unstable();
        let mut shipped: Vec<_> = af_engine::library::TEMPLATES
            .iter()
            .map(|t| t.key)
            .collect();
        shipped.sort_unstable();
        assert_eq!(listed, shipped);
    }
}
