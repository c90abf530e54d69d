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
}

macro_rules! leads {
    ($(($first:literal, $last:literal, $company:literal, $source:literal, $campaign:literal, $deal:literal, $pesos:literal, $stage:literal, $tags:literal)),* $(,)?) => {
        &[$(DemoLead { first: $first, last: $last, company: $company, source: $source, campaign: $campaign, deal: $deal, pesos: $pesos, stage: $stage, tags: $tags }),*]
    };
}

#[rustfmt::skip]
const LEADS: &[DemoLead] = leads![
    ("Mariana", "López", "Clínica Dental Sonrisa", "facebook", "implantes-2026", "Campaña de implantes", 45_000, 0, "salud"),
    ("Jorge", "Hernández", "Taquería El Güero", "google", "local-seo", "SEO local", 12_000, 0, "restaurante"),
    ("Sofía", "Ramírez", "Inmobiliaria Cumbres", "instagram", "preventa-torre", "Lanzamiento preventa", 120_000, 1, "inmobiliaria,vip"),
    ("Luis", "García", "Gimnasio FitZone", "referido", "", "Membresías online", 30_000, 1, "fitness"),
    ("Valeria", "Martínez", "Boutique Luna", "facebook", "temporada-verano", "Tienda en línea", 55_000, 2, "retail"),
    ("Carlos", "Sánchez", "Despacho Sánchez & Asoc.", "google", "abogados-cdmx", "Generación de leads", 38_000, 2, "servicios"),
    ("Daniela", "Torres", "Escuela Montessori Arcoíris", "landing", "inscripciones", "Inscripciones 2027", 42_000, 3, "educacion,vip"),
    ("Miguel", "Flores", "Autos Seminuevos Flores", "facebook", "financiamiento", "Anuncios de inventario", 60_000, 3, "automotriz"),
    ("Fernanda", "Rivera", "Spa Serena", "instagram", "dia-de-las-madres", "Paquetes de temporada", 25_000, 4, "belleza"),
    ("Ricardo", "Gómez", "Constructora Norte", "referido", "", "Sitio corporativo", 85_000, 4, "construccion"),
    ("Paola", "Díaz", "Veterinaria Patitas", "google", "vacunas", "Campaña de vacunación", 18_000, 5, "salud"),
    ("Andrés", "Morales", "Café Altura", "landing", "franquicias", "Franquicias", 70_000, 0, "restaurante,vip"),
    ("Gabriela", "Cruz", "Óptica Visión Clara", "facebook", "examen-gratis", "Citas de examen visual", 22_000, 1, "salud"),
    ("Héctor", "Reyes", "Hotel Boutique Casa Azul", "google", "reservas-directas", "Reservas directas", 95_000, 2, "turismo"),
    ("Camila", "Ortiz", "Pastelería Dulce Hogar", "instagram", "pedidos-online", "Pedidos a domicilio", 15_000, 0, "restaurante"),
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
    provision::add_user(
        db,
        &ws,
        DEMO_EMAIL,
        Some("Demo"),
        &password,
        Role::Owner,
        now,
    )
    .await?;
    fill_crm(db, ws.id, now).await?;
    // The shipped workflows, ready to look at (active: new demo leads run
    // through them into the outbox).
    for t in af_engine::library::TEMPLATES {
        af_engine::library::install(db, ws.id, t.key, true, now)
            .await
            .with_context(|| format!("installing the {} workflow template", t.key))?;
    }
    Ok(Some(password))
}

/// Contacts with attribution and tags, and one deal each spread over the
/// default pipeline's stages.
async fn fill_crm(db: &Db, ws: af_core::WorkspaceId, now: Ts) -> anyhow::Result<()> {
    let pipeline = pipelines::default_pipeline(db, ws)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no default pipeline"))?;
    let actor = Actor::system();
    let mut tx = db.begin().await?;
    for (i, l) in LEADS.iter().enumerate() {
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
            phone: Some(format!("+52155{:08}", 10_000_000 + i * 7_919))
                .and_then(|p| af_core::contact::normalize_phone(&p, "MX").ok()),
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
        let contact = upsert_contact(&mut tx, ws, &input, &actor, now)
            .await?
            .contact;
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
                owner_id: None,
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
            LEADS.len() as i64
        );
        let p = pipelines::default_pipeline(&t.db, ws.id)
            .await
            .expect("q")
            .expect("pipeline");
        let totals = af_db::deals::stage_totals(&t.db, ws.id, p.pipeline.id)
            .await
            .expect("totals");
        assert!(
            totals.len() >= 5,
            "deals spread over the stages: {totals:?}"
        );
    }
}
