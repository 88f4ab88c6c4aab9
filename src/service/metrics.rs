//! Counters for operators, shown in the Prometheus text format at `GET /metrics`: CRL fetches by outcome, OCSP
//! answers by outcome, OCSP cache hits. Plain atomics: counting never takes a lock a verification could wait on.

use std::sync::atomic::{AtomicU64, Ordering};

/// The outcomes a CRL fetch is counted under (`qoltanba_crl_fetches_total{outcome=…}`): installed, unchanged, a
/// failed fetch, and every reason an installation refuses a list.
fn crl_outcomes() -> impl Iterator<Item = &'static str> {
    ["installed", "unchanged", "fetch"]
        .into_iter()
        .chain(crate::pki::install::CrlRefused::CODES)
}

/// The outcomes an OCSP exchange is counted under (`qoltanba_ocsp_answers_total{outcome=…}`).
pub(crate) const OCSP_OUTCOMES: &[&str] = &["good", "revoked", "unknown", "unavailable"];

/// The service's counters.
#[derive(Debug)]
pub struct Metrics {
    crl: Vec<(&'static str, AtomicU64)>,
    ocsp: Vec<AtomicU64>,
    ocsp_cache_hits: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            crl: crl_outcomes().map(|o| (o, AtomicU64::new(0))).collect(),
            ocsp: OCSP_OUTCOMES.iter().map(|_| AtomicU64::new(0)).collect(),
            ocsp_cache_hits: AtomicU64::new(0),
        }
    }
}

fn bump(counters: &[AtomicU64], names: &[&str], name: &str) {
    if let Some(i) = names.iter().position(|n| *n == name) {
        counters[i].fetch_add(1, Ordering::Relaxed);
    }
}

impl Metrics {
    /// Counts a CRL fetch under its outcome (installed, unchanged, fetch, or a refusal code).
    pub fn crl_fetch(&self, outcome: &str) {
        if let Some((_, c)) = self.crl.iter().find(|(n, _)| *n == outcome) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts an OCSP exchange with one of [`OCSP_OUTCOMES`].
    pub fn ocsp_answer(&self, outcome: &str) {
        bump(&self.ocsp, OCSP_OUTCOMES, outcome);
    }

    /// Counts an answer served from the OCSP cache.
    pub fn ocsp_cache_hit(&self) {
        self.ocsp_cache_hits.fetch_add(1, Ordering::Relaxed);
    }

    /// How many CRL fetches ended with `outcome`.
    pub fn crl_fetches(&self, outcome: &str) -> u64 {
        self.crl
            .iter()
            .find(|(n, _)| *n == outcome)
            .map_or(0, |(_, c)| c.load(Ordering::Relaxed))
    }

    /// The counters in the Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP qoltanba_crl_fetches_total CRL fetches, by outcome.\n");
        out.push_str("# TYPE qoltanba_crl_fetches_total counter\n");
        for (name, c) in &self.crl {
            out.push_str(&format!(
                "qoltanba_crl_fetches_total{{outcome=\"{name}\"}} {}\n",
                c.load(Ordering::Relaxed)
            ));
        }
        out.push_str(
            "# HELP qoltanba_ocsp_answers_total OCSP exchanges with responders, by outcome.\n",
        );
        out.push_str("# TYPE qoltanba_ocsp_answers_total counter\n");
        for (name, c) in OCSP_OUTCOMES.iter().zip(&self.ocsp) {
            out.push_str(&format!(
                "qoltanba_ocsp_answers_total{{outcome=\"{name}\"}} {}\n",
                c.load(Ordering::Relaxed)
            ));
        }
        out.push_str("# HELP qoltanba_ocsp_cache_hits_total OCSP answers served from the cache.\n");
        out.push_str("# TYPE qoltanba_ocsp_cache_hits_total counter\n");
        out.push_str(&format!(
            "qoltanba_ocsp_cache_hits_total {}\n",
            self.ocsp_cache_hits.load(Ordering::Relaxed)
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_in_the_text_format() {
        let m = Metrics::default();
        m.crl_fetch("installed");
        m.crl_fetch("rollback");
        m.crl_fetch("rollback");
        m.crl_fetch("no such outcome");
        m.ocsp_answer("good");
        m.ocsp_cache_hit();
        let text = m.render();
        assert!(text.contains("qoltanba_crl_fetches_total{outcome=\"installed\"} 1\n"));
        assert!(text.contains("qoltanba_crl_fetches_total{outcome=\"rollback\"} 2\n"));
        assert!(text.contains("qoltanba_ocsp_answers_total{outcome=\"good\"} 1\n"));
        assert!(text.contains("qoltanba_ocsp_cache_hits_total 1\n"));
        assert_eq!(m.crl_fetches("rollback"), 2);
    }
}
