//! Who may seal. Every Kazakh EDS certificate chains to the NCA's root — every citizen's signing key does — so a
//! seal whose signature and path verify proves only that *someone* made it. It counts as a provider's document
//! only when its signer is an authorised person of a configured provider: a pinned certificate, or a certificate
//! of the provider's BIN with an NCA role that carries the right to sign for it (first head, person with the right
//! to sign). The same rule applies to a document's embedded CMS and to its PDF signature.

use crate::identity::{Bin, Role};
use crate::pki::Certificate;

/// The NCA roles that sign for an organisation, unless a rule names others.
pub(crate) const AUTHORISED_ROLES: &[Role] = &[Role::FirstHead, Role::RightToSign];

/// One provider that may issue documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerRule {
    /// The provider, as reports name it.
    pub name: String,
    /// SHA-256 fingerprints of certificates authorised by name (the provider's signer).
    pub certificates: Vec<[u8; 32]>,
    /// The provider's BIN: any certificate of this organisation holding one of `roles` is authorised.
    pub bin: Option<Bin>,
    /// The roles that may sign.
    pub roles: Vec<Role>,
    /// The form ids it may issue (`licence.*` for a family); empty: every form.
    pub forms: Vec<String>,
}

impl IssuerRule {
    /// A provider whose signer is this certificate.
    pub fn certificate(name: impl Into<String>, cert: &Certificate) -> IssuerRule {
        IssuerRule {
            name: name.into(),
            certificates: vec![cert.fingerprint],
            bin: None,
            roles: Vec::new(),
            forms: Vec::new(),
        }
    }

    /// A provider whose authorised persons are its organisation's holders of `roles` (default
    /// [`AUTHORISED_ROLES`]).
    pub fn organisation(name: impl Into<String>, bin: Bin, roles: Vec<Role>) -> IssuerRule {
        IssuerRule {
            name: name.into(),
            certificates: Vec::new(),
            bin: Some(bin),
            roles: if roles.is_empty() {
                AUTHORISED_ROLES.to_vec()
            } else {
                roles
            },
            forms: Vec::new(),
        }
    }

    /// Limits the rule to these forms.
    pub fn for_forms(mut self, forms: Vec<String>) -> IssuerRule {
        self.forms = forms;
        self
    }

    fn authorises(&self, cert: &Certificate) -> bool {
        if self.certificates.contains(&cert.fingerprint) {
            return true;
        }
        match &self.bin {
            Some(bin) => {
                cert.profile.bin.as_deref() == Some(bin.as_string().as_str())
                    && cert.profile.roles.iter().any(|r| self.roles.contains(r))
            }
            None => false,
        }
    }

    fn covers(&self, form: &str) -> bool {
        self.forms.is_empty()
            || self.forms.iter().any(|f| match f.strip_suffix('*') {
                Some(prefix) => form.starts_with(prefix),
                None => f == form,
            })
    }
}

/// The providers whose seals verification accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Issuers {
    rules: Vec<IssuerRule>,
    /// The published demo key's certificate: documents it seals are demonstrations, and reports say so.
    demo: Option<[u8; 32]>,
}

impl Issuers {
    /// Issuers with `rules`.
    pub fn new(rules: Vec<IssuerRule>) -> Issuers {
        Issuers { rules, demo: None }
    }

    /// These issuers and `rule`.
    pub fn with_rule(mut self, rule: IssuerRule) -> Issuers {
        self.rules.push(rule);
        self
    }

    /// Marks the demo provider's certificate, so reports of what it sealed say it is a demonstration.
    pub fn with_demo(mut self, demo: [u8; 32]) -> Issuers {
        self.demo = Some(demo);
        self
    }

    /// The rules.
    pub fn rules(&self) -> &[IssuerRule] {
        &self.rules
    }

    /// The rule authorising `cert` to issue `form`, or why none does (naming the signer).
    pub fn check(&self, cert: &Certificate, form: &str) -> Result<&IssuerRule, String> {
        if let Some(rule) = self
            .rules
            .iter()
            .find(|r| r.authorises(cert) && r.covers(form))
        {
            return Ok(rule);
        }
        let p = &cert.profile;
        let mut who = vec![format!(
            "\"{}\" (serial {})",
            cert.subject,
            cert.serial_hex()
        )];
        if let Some(iin) = &p.iin {
            who.push(format!("IIN {iin}"));
        }
        if let Some(bin) = &p.bin {
            who.push(format!("BIN {bin}"));
        }
        if let Some(role) = p.primary_role() {
            who.push(role.name_en().to_lowercase());
        }
        let why = if self.rules.iter().any(|r| r.authorises(cert)) {
            format!("is a configured provider's signer, but not for form {form}")
        } else {
            "is not an authorised person of any configured provider".into()
        };
        Err(format!("the signer {} {why}", who.join(", ")))
    }

    /// Whether `cert` is the published demo key's.
    pub fn is_demo(&self, cert: &Certificate) -> bool {
        self.demo == Some(cert.fingerprint)
    }
}
