//! CRLs that keep themselves fresh: each source (a URL of a full or a delta CRL) is fetched before its list's
//! `nextUpdate` and on a schedule, by conditional GET, and what it brings is handed to
//! [`TrustStore::install_crl`], which decides whether it may replace the list in use (authentic, fresh, newer).
//! The last good list stays when a fetch fails; every good list is also written to the data directory, so a
//! restart works offline until its `nextUpdate`.
//!
//! One background thread ([`CrlRefresher::spawn`]) does the fetching, one source at a time: at most one new list
//! is being read beside the lists in use, so memory stays bounded by the fetch cap (64 MB by default) plus the
//! largest list twice (the old one until the last validation holding it ends). Verifications never wait for it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::clock::UnixTime;
use crate::pki::install::{CrlInstalled, InstallRules};
use crate::pki::store::CrlOrigin;
use crate::pki::TrustStore;
use crate::service::background::Background;
use crate::service::fetch::{FetchError, Fetched, Fetcher, Validators};
use crate::service::metrics::Metrics;

/// A place CRLs are fetched from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlSource {
    /// The URL (http or https).
    pub url: String,
    /// Whether it serves a delta CRL (a FreshestCRL source).
    pub delta: bool,
}

/// When sources are fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlSchedule {
    /// Longest time between two fetches of a full CRL, however far its `nextUpdate` is (NCANode: a day).
    pub full_every: Duration,
    /// Longest time between two fetches of a delta CRL (NCANode: an hour).
    pub delta_every: Duration,
    /// How long before `nextUpdate` a list is fetched again at the latest: this, or a quarter of the list's
    /// lifetime when that is shorter.
    pub before_next_update: Duration,
    /// The wait after a first failure; doubled after each next one, up to `retry_max`.
    pub retry_min: Duration,
    /// The longest wait between retries.
    pub retry_max: Duration,
    /// How far a list's `thisUpdate` may lie in the future.
    pub skew_secs: i64,
}

impl Default for CrlSchedule {
    /// Full lists at least every 6 hours, deltas every 30 minutes, an hour before `nextUpdate` at the latest;
    /// retries from 30 seconds up to 10 minutes; 5 minutes of clock skew.
    fn default() -> Self {
        CrlSchedule {
            full_every: Duration::from_secs(6 * 3600),
            delta_every: Duration::from_secs(1800),
            before_next_update: Duration::from_secs(3600),
            retry_min: Duration::from_secs(30),
            retry_max: Duration::from_secs(600),
            skew_secs: 300,
        }
    }
}

/// Whether a source's list is usable now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Freshness {
    /// Its list is installed and before its `nextUpdate`.
    Fresh,
    /// The list installed from it has passed its `nextUpdate`.
    Stale,
    /// No list from it yet.
    Missing,
}

/// What is known about one source now: `/health` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceHealth {
    /// The URL.
    pub url: String,
    /// Whether it serves a delta CRL.
    pub delta: bool,
    /// Whether its list is usable now.
    pub state: Freshness,
    /// When the list in use from it was issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub this_update: Option<UnixTime>,
    /// When the list in use from it stops being usable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_update: Option<UnixTime>,
    /// Its cRLNumber, lower-case hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// When a fetch last brought a good answer (a new list, the same list, or "not modified").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_success: Option<UnixTime>,
    /// Why the last attempt failed, when it did (cleared by the next success).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When the next fetch is due.
    pub next_fetch: UnixTime,
}

#[derive(Debug)]
struct SourceState {
    source: CrlSource,
    validators: Option<Validators>,
    installed: Option<CrlInstalled>,
    next_due: UnixTime,
    failures: u32,
    last_success: Option<UnixTime>,
    last_error: Option<String>,
}

/// What one fetch of one source came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// A new list was installed.
    Installed,
    /// The server said "not modified", or sent the list already in use.
    Unchanged,
    /// Nothing usable came: the reason, with a stable code (`fetch`, or a [`crate::pki::CrlRefused`] code).
    Failed {
        /// A stable code: `fetch` or why the list was refused.
        code: &'static str,
        /// What happened.
        reason: String,
    },
}

/// Fetches and installs the CRLs of its sources into one trust store.
pub struct CrlRefresher {
    store: Arc<TrustStore>,
    fetcher: Fetcher,
    schedule: CrlSchedule,
    cache_dir: Option<PathBuf>,
    max_bytes: u64,
    sources: Mutex<Vec<SourceState>>,
    metrics: Arc<Metrics>,
}

impl CrlRefresher {
    /// A refresher for `sources` (duplicates dropped), installing into `store`, caching in `cache_dir` when given.
    /// Every source is due at once.
    pub fn new(
        store: Arc<TrustStore>,
        fetcher: Fetcher,
        sources: Vec<CrlSource>,
        schedule: CrlSchedule,
        cache_dir: Option<PathBuf>,
        metrics: Arc<Metrics>,
    ) -> CrlRefresher {
        let mut states: Vec<SourceState> = Vec::new();
        for source in sources {
            if states.iter().any(|s| s.source.url == source.url) {
                continue;
            }
            states.push(SourceState {
                source,
                validators: None,
                installed: None,
                next_due: UnixTime::from_secs(0),
                failures: 0,
                last_success: None,
                last_error: None,
            });
        }
        CrlRefresher {
            max_bytes: fetcher.max_bytes(),
            store,
            fetcher,
            schedule,
            cache_dir,
            sources: Mutex::new(states),
            metrics,
        }
    }

    /// The CRL URLs the store's CA certificates name: their distribution points (full lists) and freshestCRL
    /// (deltas), http and https only. Certificates that arrive with requests are never used: a request must not
    /// choose what the service fetches.
    pub fn discover(store: &TrustStore) -> Vec<CrlSource> {
        let mut out: Vec<CrlSource> = Vec::new();
        for cert in store.certs.iter() {
            let (full, delta) = cert.crl_urls();
            for (urls, delta) in [(full, false), (delta, true)] {
                for url in urls {
                    if !out.iter().any(|s| s.url == url) {
                        out.push(CrlSource { url, delta });
                    }
                }
            }
        }
        out
    }

    /// The sources, in order.
    pub fn sources(&self) -> Vec<CrlSource> {
        self.lock().iter().map(|s| s.source.clone()).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<SourceState>> {
        match self.sources.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Installs the lists the disk cache holds for the sources, when they are still usable at `now` (a restart
    /// works offline until their `nextUpdate`). Returns how many were installed.
    pub fn load_cache(&self, now: UnixTime) -> usize {
        let Some(dir) = &self.cache_dir else { return 0 };
        let mut loaded = 0;
        // Reading and installing a 22 MB list takes a tenth of a second: done without the lock `/health` takes.
        for (i, source) in self.sources().into_iter().enumerate() {
            let (crl_path, meta_path) = cache_paths(dir, &source.url);
            let Ok(bytes) = crate::pki::load::read_limited(&crl_path, self.max_bytes) else {
                continue;
            };
            let rules = InstallRules {
                skew_secs: self.schedule.skew_secs,
                delta_source: source.delta,
            };
            match self
                .store
                .install_crl(&bytes, CrlOrigin::Cached(source.url.clone()), rules, now)
            {
                Ok(installed) => {
                    tracing::info!(url = %source.url, this_update = %installed.this_update.rfc3339(),
                        next_update = %installed.next_update.rfc3339(), "CRL loaded from the disk cache");
                    if let Some(state) = self.lock().get_mut(i) {
                        state.validators = read_validators(&meta_path);
                        state.installed = Some(installed);
                    }
                    loaded += 1;
                }
                Err(why) => {
                    tracing::info!(url = %source.url, reason = %why, "cached CRL not used");
                }
            }
        }
        loaded
    }

    /// Fetches every source due at `now` (all of them with `force`), installs what is good, and schedules each
    /// source's next fetch. Returns what each attempted fetch came to.
    pub fn refresh(&self, now: UnixTime, force: bool) -> Vec<(String, RefreshOutcome)> {
        let due: Vec<(usize, CrlSource, Option<Validators>)> = self
            .lock()
            .iter()
            .enumerate()
            .filter(|(_, s)| force || s.next_due <= now)
            .map(|(i, s)| (i, s.source.clone(), s.validators.clone()))
            .collect();
        let mut outcomes = Vec::new();
        for (i, source, validators) in due {
            // The fetch runs without the lock: `/health` keeps answering while a slow server drips.
            let fetched = self.fetcher.get(&source.url, validators.as_ref());
            let outcome = self.take(i, &source, fetched, now);
            outcomes.push((source.url, outcome));
        }
        outcomes
    }

    fn take(
        &self,
        i: usize,
        source: &CrlSource,
        fetched: Result<Fetched, FetchError>,
        now: UnixTime,
    ) -> RefreshOutcome {
        let mut new_validators = None;
        let mut bytes_to_cache = None;
        let result: Result<Option<CrlInstalled>, (&'static str, String)> = match fetched {
            Err(e) => Err(("fetch", e.to_string())),
            Ok(Fetched::NotModified) => Ok(None),
            Ok(Fetched::Body { bytes, validators }) => {
                let rules = InstallRules {
                    skew_secs: self.schedule.skew_secs,
                    delta_source: source.delta,
                };
                match self.store.install_crl(
                    &bytes,
                    CrlOrigin::Fetched(source.url.clone()),
                    rules,
                    now,
                ) {
                    Ok(installed) => {
                        new_validators = Some(validators);
                        if installed.changed {
                            bytes_to_cache = Some(bytes);
                        }
                        Ok(Some(installed))
                    }
                    Err(why) => Err((why.code(), why.to_string())),
                }
            }
        };
        let outcome = match &result {
            Ok(Some(installed)) if installed.changed => RefreshOutcome::Installed,
            Ok(_) => RefreshOutcome::Unchanged,
            Err((code, reason)) => RefreshOutcome::Failed {
                code,
                reason: reason.clone(),
            },
        };
        self.metrics.crl_fetch(match &outcome {
            RefreshOutcome::Installed => "installed",
            RefreshOutcome::Unchanged => "unchanged",
            RefreshOutcome::Failed { code, .. } => code,
        });
        if let (Some(bytes), Some(dir)) = (&bytes_to_cache, &self.cache_dir) {
            if let Err(e) = write_cache(dir, &source.url, bytes, new_validators.as_ref()) {
                tracing::warn!(url = %source.url, error = %e, "could not write the CRL to the disk cache");
            }
        }
        let mut sources = self.lock();
        let Some(state) = sources.get_mut(i) else {
            return outcome;
        };
        match result {
            Ok(installed) => {
                if let Some(installed) = installed {
                    if installed.changed {
                        tracing::info!(url = %source.url, entries = installed.entries,
                            this_update = %installed.this_update.rfc3339(),
                            next_update = %installed.next_update.rfc3339(), "CRL installed");
                    }
                    state.installed = Some(installed);
                }
                if let Some(v) = new_validators {
                    state.validators = Some(v);
                }
                state.failures = 0;
                state.last_success = Some(now);
                state.last_error = None;
                state.next_due = self.next_after_success(state, now);
            }
            Err((code, reason)) => {
                tracing::warn!(url = %source.url, code, %reason,
                    "CRL fetch brought nothing usable; the list in use stays");
                state.failures = state.failures.saturating_add(1);
                state.last_error = Some(format!("{code}: {reason}"));
                let wait = self
                    .schedule
                    .retry_min
                    .saturating_mul(1u32 << state.failures.saturating_sub(1).min(16))
                    .min(self.schedule.retry_max);
                state.next_due = now.plus_secs(wait.as_secs().max(1) as i64);
            }
        }
        outcome
    }

    /// The next fetch after a good one: within the source's period, and before its list's `nextUpdate` by the
    /// margin; never sooner than the first retry wait (a server with nothing newer is not hammered).
    fn next_after_success(&self, state: &SourceState, now: UnixTime) -> UnixTime {
        let every = if state.source.delta {
            self.schedule.delta_every
        } else {
            self.schedule.full_every
        };
        let mut due = now.plus_secs(every.as_secs() as i64);
        if let Some(installed) = &state.installed {
            let lifetime = installed
                .next_update
                .secs_since(installed.this_update)
                .max(0);
            let margin = (self.schedule.before_next_update.as_secs() as i64).min(lifetime / 4);
            due = due.min(installed.next_update.plus_secs(-margin));
        }
        due.max(now.plus_secs(self.schedule.retry_min.as_secs().max(1) as i64))
    }

    /// When the next fetch is due, if there is any source.
    pub fn next_due(&self) -> Option<UnixTime> {
        self.lock().iter().map(|s| s.next_due).min()
    }

    /// What is known about each source at `now`.
    pub fn health(&self, now: UnixTime) -> Vec<SourceHealth> {
        self.lock()
            .iter()
            .map(|s| SourceHealth {
                url: s.source.url.clone(),
                delta: s.source.delta,
                state: match &s.installed {
                    None => Freshness::Missing,
                    Some(i) if i.next_update <= now => Freshness::Stale,
                    Some(_) => Freshness::Fresh,
                },
                this_update: s.installed.as_ref().map(|i| i.this_update),
                next_update: s.installed.as_ref().map(|i| i.next_update),
                number: s
                    .installed
                    .as_ref()
                    .and_then(|i| i.number.as_deref())
                    .map(crate::encoding::hex),
                last_success: s.last_success,
                last_error: s.last_error.clone(),
                next_fetch: s.next_due,
            })
            .collect()
    }

    /// Runs the refresher on a thread of its own until the handle is dropped: it fetches what is due, sleeps
    /// until the next source is due (at most a minute at a time), and again.
    pub fn spawn(self: Arc<Self>) -> Background {
        Background::spawn("qoltanba-crls", move || {
            self.refresh(UnixTime::now(), false);
            let wait = self
                .next_due()
                .map(|due| due.secs_since(UnixTime::now()).clamp(1, 60))
                .unwrap_or(60);
            Duration::from_secs(wait as u64)
        })
    }
}

/// Where the cache keeps a source's list and its validators: named by the URL's SHA-256, so any URL is a safe
/// file name.
fn cache_paths(dir: &Path, url: &str) -> (PathBuf, PathBuf) {
    let name = crate::encoding::hex(&crate::encoding::sha256(url.as_bytes()));
    (
        dir.join(format!("{name}.crl")),
        dir.join(format!("{name}.json")),
    )
}

#[derive(serde::Serialize, serde::Deserialize)]
struct CacheMeta {
    url: String,
    etag: Option<String>,
    last_modified: Option<String>,
}

fn read_validators(path: &Path) -> Option<Validators> {
    let text = crate::pki::load::read_limited(path, 64 * 1024).ok()?;
    let meta: CacheMeta = serde_json::from_slice(&text).ok()?;
    Some(Validators {
        etag: meta.etag,
        last_modified: meta.last_modified,
    })
}

/// Writes a list and its validators: each to a temporary file first, synced, then renamed over the old one, so a
/// crash leaves the old list or the new one, never half of one.
fn write_cache(
    dir: &Path,
    url: &str,
    bytes: &[u8],
    validators: Option<&Validators>,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let (crl_path, meta_path) = cache_paths(dir, url);
    write_atomically(&crl_path, bytes)?;
    let meta = CacheMeta {
        url: url.to_string(),
        etag: validators.and_then(|v| v.etag.clone()),
        last_modified: validators.and_then(|v| v.last_modified.clone()),
    };
    let json = serde_json::to_vec(&meta).map_err(std::io::Error::other)?;
    write_atomically(&meta_path, &json)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)
}
