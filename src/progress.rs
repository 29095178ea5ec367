//! Progress bars on stderr for long jobs, behind the pipeline's `Progress` trait.

use indicatif::{ProgressBar, ProgressStyle};
use pipeline::Progress;

/// Progress bars on stderr; indicatif hides them when stderr is not a terminal.
#[derive(Default)]
pub(crate) struct Bars {
    bar: std::sync::Mutex<Option<ProgressBar>>,
}

impl Progress for Bars {
    fn phase(&self, name: &str, total: u64) {
        let bar = if total == 0 {
            ProgressBar::new_spinner()
        } else {
            ProgressBar::new(total)
        };
        bar.set_style(
            ProgressStyle::with_template("{msg:>24} [{bar:30}] {pos}/{len} ({per_sec}, eta {eta})")
                .expect("the template is valid")
                .progress_chars("=> "),
        );
        bar.set_message(name.to_owned());
        if let Some(old) = self.bar.lock().expect("not poisoned").replace(bar) {
            old.finish_and_clear();
        }
    }

    fn inc(&self, n: u64) {
        if let Some(bar) = &*self.bar.lock().expect("not poisoned") {
            bar.inc(n);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.lock().expect("not poisoned").take() {
            bar.finish_and_clear();
        }
    }
}
