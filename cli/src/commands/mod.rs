//! One module per subcommand (`list --executions` has its own), and why
//! a callback is closed, which `approve`, `reject` and `heartbeat` explain.

mod callback_closed;
mod cancel;
mod decide;
mod doctor;
mod heartbeat;
mod history;
mod list;
mod list_executions;
mod show;
mod stack;
mod submit;
mod tail_logs;
mod wait;

pub use callback_closed::CallbackClosed;
pub use decide::BulkFailed;
pub use doctor::DoctorFailed;
pub use wait::WaitError;

use crate::app::App;
use crate::cli::{Cli, Command};

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    crate::output::set_time_format(cli.global.time_format);
    crate::tracing::init(cli.global.verbose);
    if let Command::Completions { shell } = cli.command {
        crate::completions::print(shell);
        return Ok(());
    }
    if let Command::Doctor = cli.command {
        return doctor::run(&cli.global).await;
    }
    let app = App::connect(&cli.global).await?;
    match cli.command {
        Command::Submit(args) => submit::run(&app, args).await,
        Command::List(args) => list::run(&app, args).await,
        Command::Show(args) => show::run(&app, args).await,
        Command::History(args) => history::run(&app, args).await,
        Command::Approve(args) => decide::approve(&app, args).await,
        Command::Reject(args) => decide::reject(&app, args).await,
        Command::Cancel(args) => cancel::run(&app, args).await,
        Command::Heartbeat(args) => heartbeat::run(&app, args).await,
        Command::Wait(args) => wait::run(&app, args).await,
        Command::TailLogs(args) => tail_logs::run(&app, args).await,
        Command::Stack => stack::run(&app),
        Command::Completions { .. } | Command::Doctor => Ok(()),
    }
}
