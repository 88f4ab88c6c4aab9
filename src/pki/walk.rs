//! The budget of one verification's path search, shared by path building (`validate`), CRL signers' paths
//! (`revocation`) and the signature cache (`store`): a hostile set of certificates cannot make the search
//! exponential, and cancelled work stops at its next step.

/// Candidate issuers considered while building paths for one verification, CRL signers' paths included. Real
/// hierarchies need a handful; a CMS carrying eighteen certificates that share one name would otherwise make the
/// depth-first search try 17⁹ partial paths (the model is webpki's `Budget`).
pub(crate) const MAX_BUILD_STEPS: usize = 10_000;
/// Certificate signatures verified (not answered from the cache) for one verification.
pub(crate) const MAX_SIGNATURE_CHECKS: usize = 100;

/// The state of one verification's path search: the CRL signers being validated (to break cycles) and what is left
/// of its budget.
pub(crate) struct Walk {
    pub crl_stack: Vec<[u8; 32]>,
    steps_left: usize,
    pub signatures_left: usize,
    /// Set when the budget ran out or the work was cancelled: the verdict cannot be a pass.
    pub exhausted: bool,
    cancel: crate::cancel::Cancel,
}

impl Walk {
    pub(crate) fn new(cancel: &crate::cancel::Cancel) -> Walk {
        Walk {
            crl_stack: Vec::new(),
            steps_left: MAX_BUILD_STEPS,
            signatures_left: MAX_SIGNATURE_CHECKS,
            exhausted: false,
            cancel: cancel.clone(),
        }
    }

    /// Takes one step of path building; `false` when the budget is spent (or the work cancelled).
    pub(crate) fn step(&mut self) -> bool {
        if self.steps_left == 0 || self.cancel.is_cancelled() {
            self.exhausted = true;
            return false;
        }
        self.steps_left -= 1;
        true
    }
}
