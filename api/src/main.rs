//! The `ecogov` command line.

use std::sync::Arc;

use clap::{Parser, Subcommand};
use ecogov::app::{self, Parts};
use ecogov::settings::{Mode, RawSettings, Settings};
use ecogov_domain::role::Role;
use ecogov_domain::service::{audit, directory};
use ecogov_domain::time::SystemClock;

/// mimalloc: the service allocates many small, short-lived values (rows, JSON, normalised
/// cells); glibc's allocator spent a third of the permit reconciliation's time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "ecogov",
    version,
    about = "武汉市生态环境数据治理平台 (eco-environment data governance)"
)]
struct Cli {
    /// Config file (default ./ecogov.toml, or ECOGOV_CONFIG).
    #[arg(long, global = true)]
    config: Option<std::path::PathBuf>,
    /// Data directory (ECOGOV_DATA_DIR, default ./data).
    #[arg(long, global = true)]
    data_dir: Option<std::path::PathBuf>,
    /// Database URL (ECOGOV_DATABASE_URL).
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Redis URL (ECOGOV_REDIS_URL).
    #[arg(long, global = true)]
    redis_url: Option<String>,
    /// SMTP URL (ECOGOV_SMTP_URL).
    #[arg(long, global = true)]
    smtp_url: Option<String>,
    /// embedded or production (ECOGOV_MODE).
    #[arg(long, global = true)]
    mode: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the API and the workers in one process.
    Serve {
        /// Listen address (ECOGOV_LISTEN, default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<String>,
        /// Do not seed demo data on first start.
        #[arg(long)]
        no_demo: bool,
    },
    /// Runs the workers only (scale out).
    Worker,
    /// Applies database migrations and exits.
    Migrate,
    /// User accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Prints the GraphQL schema (SDL).
    Schema,
    /// Benchmarks; each ends with one line of key=value figures.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Creates a user (any role, including the privileged ones).
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Password; default ECOGOV_NEW_USER_PASSWORD, else generated and printed once.
        #[arg(long, env = "ECOGOV_NEW_USER_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verifies the hash chain and checkpoints; exits 1 and names the first broken sequence number.
    Verify,
    /// Records today's checkpoint of the head hash.
    Checkpoint,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Deadlines computed per second on one core.
    Sla {
        #[arg(long, default_value_t = 1_000_000)]
        tickets: usize,
    },
    /// Catalog search latency: p95 over a query mix on a synthetic catalog (target p95 < 50 ms).
    Search {
        #[arg(long, default_value_t = 10_000)]
        resources: usize,
        #[arg(long, default_value_t = 50)]
        fields: usize,
        #[arg(long, default_value_t = 500)]
        queries: usize,
    },
    /// The 12-check air-quality inspection on a generated hourly table, next to the
    /// hand-written SQL floor. Needs the global `--database-url postgres://...`.
    Inspection {
        #[arg(long, default_value_t = 5_000_000)]
        rows: u64,
    },
    /// Air-quality consistency: hourly AQI recomputations (edition by hour, six IAQIs, primary
    /// pollutant, comparison with the reported value) per second on one core.
    Aqi {
        #[arg(long, default_value_t = 5_000_000)]
        rows: usize,
    },
    /// Meteorological QC: hourly observations through every check per second on one core
    /// (target >= 1,000,000/s), on generated data with planted defects.
    Metqc {
        #[arg(long, default_value_t = 1_000_000)]
        observations: usize,
    },
    /// Discharge-permit reconciliation: 100,000 permits per side with 20 compared fields and
    /// planted defects (target < 2 s), next to the same comparison as one SQL FULL OUTER JOIN.
    /// Needs the global `--database-url postgres://...` (a server where it may create databases).
    Permits,
    /// Ticket transitions per second (audit and outbox included) next to pgbench simple-update.
    /// Needs the global `--database-url postgres://...` (a server where it may create databases).
    Transitions {
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value_t = 8)]
        clients: usize,
    },
    /// One file per enterprise: a full merge of `enterprises` enterprises from five sources, then
    /// an incremental update of `changed` of them. On the configured database (SQLite default;
    /// the global `--database-url postgres://...` for PostgreSQL).
    Enterprises {
        #[arg(long, default_value_t = 50_000)]
        enterprises: usize,
        #[arg(long, default_value_t = 1_000)]
        changed: usize,
    },
    /// p50/p99 latency and throughput of the ticket-list query under concurrent clients.
    /// With the global `--database-url postgres://...` it runs on PostgreSQL + Redis, else SQLite.
    Api {
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value_t = 50)]
        clients: usize,
        #[arg(long, default_value_t = 500)]
        tickets: usize,
    },
}

fn flags(cli: &Cli) -> anyhow::Result<RawSettings> {
    let mode = match cli.mode.as_deref() {
        None => None,
        Some("embedded") => Some(Mode::Embedded),
        Some("production") => Some(Mode::Production),
        Some(other) => anyhow::bail!("--mode must be embedded or production, not {other}"),
    };
    let mut raw = RawSettings {
        config: cli.config.clone(),
        data_dir: cli.data_dir.clone(),
        database_url: cli.database_url.clone(),
        redis_url: cli.redis_url.clone(),
        smtp_url: cli.smtp_url.clone(),
        mode,
        ..Default::default()
    };
    if let Command::Serve { listen, no_demo } = &cli.command {
        raw.listen = listen.clone();
        if *no_demo {
            raw.demo = Some(false);
        }
    }
    Ok(raw)
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ECOGOV_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn,apalis=warn")),
        )
        .init();
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    if let Command::Bench { command } = &cli.command {
        let out = match command {
            BenchCommand::Sla { tickets } => ecogov::bench::sla(*tickets),
            BenchCommand::Search {
                resources,
                fields,
                queries,
            } => ecogov_domain::catalog::search::bench(*resources, *fields, *queries),
            BenchCommand::Inspection { rows } => {
                let url = cli
                    .database_url
                    .as_deref()
                    .ok_or_else(|| anyhow::anyhow!("bench inspection needs --database-url postgres://..."))?;
                ecogov::bench_inspection::inspection(url, *rows).await?
            }
            BenchCommand::Aqi { rows } => ecogov::bench_aqi::aqi(*rows)?,
            BenchCommand::Metqc { observations } => ecogov::bench_metqc::metqc(*observations)?,
            BenchCommand::Permits => {
                let url = cli
                    .database_url
                    .as_deref()
                    .ok_or_else(|| anyhow::anyhow!("bench permits needs --database-url postgres://..."))?;
                ecogov::bench_permits::permits(url).await?
            }
            BenchCommand::Transitions { seconds, clients } => {
                let url = cli
                    .database_url
                    .as_deref()
                    .ok_or_else(|| anyhow::anyhow!("bench transitions needs --database-url postgres://..."))?;
                ecogov::bench::transitions(url, *seconds, *clients).await?
            }
            BenchCommand::Enterprises { enterprises, changed } => {
                ecogov::bench_enterprises::enterprises(cli.database_url.as_deref(), *enterprises, *changed).await?
            }
            BenchCommand::Api {
                seconds,
                clients,
                tickets,
            } => ecogov::bench::api(cli.database_url.as_deref(), *seconds, *clients, *tickets).await?,
        };
        println!("{out}");
        return Ok(std::process::ExitCode::SUCCESS);
    }
    if let Command::Schema = &cli.command {
        print!("{}", ecogov_graphql::sdl());
        return Ok(std::process::ExitCode::SUCCESS);
    }
    let settings = Settings::load(flags(&cli)?)?;
    let clock = Arc::new(SystemClock);
    match cli.command {
        Command::Serve { .. } => {
            let running = app::start(&settings, clock, Parts::ApiAndWorkers, app::worker_settings(&settings)).await?;
            announce(&settings, &running);
            running.run_until_signal().await?;
        }
        Command::Worker => {
            let running = app::start(&settings, clock, Parts::WorkersOnly, app::worker_settings(&settings)).await?;
            tracing::info!("workers running; Ctrl-C to stop");
            running.run_until_signal().await?;
        }
        Command::Migrate => {
            let db = ecogov::db::connect(&settings.database_url, 2).await?;
            ecogov::db::migrate(&db).await?;
            println!("migrations applied");
        }
        Command::User {
            command:
                UserCommand::Add {
                    username,
                    role,
                    display_name,
                    email,
                    password,
                },
        } => {
            let (core, _, _, _) = app::prepare(&settings, clock).await?;
            let role: Role = role
                .parse()
                .map_err(|e: ecogov_domain::Error| anyhow::anyhow!(e.user_message()))?;
            let (password, generated) = match password {
                Some(p) => (p, false),
                None => (ecogov_domain::password::Password::generate(), true),
            };
            let u = directory::create_user(
                &core,
                None,
                directory::NewUser {
                    display_name: display_name.unwrap_or_else(|| username.clone()),
                    username,
                    email,
                    role,
                    department_id: None,
                    password: password.clone(),
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!(e.user_message()))?;
            println!("created user {} (id {}, role {})", u.username, u.id, u.role);
            if generated {
                println!("password (shown once): {password}");
            }
        }
        Command::Audit { command } => {
            let (core, _, _, _) = app::prepare(&settings, clock).await?;
            match command {
                AuditCommand::Verify => {
                    let v = audit::verify(&core).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                    match v.first_break {
                        None => println!(
                            "audit chain intact: {} events, head seq {:?}, head hash {}",
                            v.checked,
                            v.head_seq,
                            v.head_hash.unwrap_or_default()
                        ),
                        Some(b) => {
                            println!("audit chain BROKEN: first broken seq={} ({b:?})", b.seq());
                            return Ok(std::process::ExitCode::from(1));
                        }
                    }
                }
                AuditCommand::Checkpoint => {
                    let c = audit::checkpoint(&core).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                    println!("checkpoint {}: seq {} hash {}", c.day, c.head_seq, c.head_hash);
                }
            }
        }
        Command::Schema | Command::Bench { .. } => {}
    }
    Ok(std::process::ExitCode::SUCCESS)
}

fn announce(settings: &Settings, running: &app::Running) {
    let addr = running
        .addr
        .map(|a| a.to_string())
        .unwrap_or_else(|| settings.listen.clone());
    println!(
        "ecogov is running: GraphQL at http://{addr}/graphql ({:?} mode, data in {})",
        settings.mode,
        settings.data_dir.display()
    );
    if let Some(p) = &running.first_start.generated_admin_password {
        println!("first start: log in as `admin` with the generated password (shown once): {p}");
    } else if running.first_start.admin_created {
        println!("first start: log in as `admin` with the password from ECOGOV_ADMIN_PASSWORD");
    }
    if let Some(p) = &running.first_start.demo_password {
        println!(
            "demo accounts (password {p}): zhangwei (manager), wangfang (operator), chenjing (auditor), secadmin (security admin), cityops (department)"
        );
    }
}
