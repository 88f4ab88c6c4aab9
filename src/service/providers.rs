//! The providers one node issues for. The regulations name several bodies as providers of one service — the
//! regional departments (seed 001), "the registering body at the property's location" (seed 004) — and each signs
//! its own documents with its own authorised person's key. A node holds them as [`Offices`]: each [`Office`] has
//! an id (what applications and operators' tokens name), the details printed on its documents, and its signer.
//! The first office is the node's default: applications that name no provider go to it, and so do those stored
//! before a node had several (their provider is stored empty).

use std::sync::Arc;

use crate::cms::CmsSigner;
use crate::issuance::Provider;

/// The id of the first office when the configuration gives none.
pub const DEFAULT_OFFICE: &str = "main";

/// One provider of a node: its id, what its documents print, and its authorised person's key.
#[derive(Clone)]
pub struct Office {
    /// What applications and tokens name it by: 1–40 of `a-z`, `0-9`, `-`.
    pub id: String,
    /// Printed on its documents.
    pub provider: Arc<Provider>,
    /// Its authorised person: signs and seals its documents.
    pub signer: Arc<CmsSigner>,
}

impl std::fmt::Debug for Office {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Office")
            .field("id", &self.id)
            .field("authority", &self.provider.authority)
            .finish_non_exhaustive()
    }
}

/// Why a set of offices cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfficeError {
    /// An id is not 1–40 of `a-z`, `0-9`, `-`.
    #[error("provider id {0:?}: 1–40 of a-z, 0-9 and -")]
    BadId(String),
    /// Two offices share an id.
    #[error("provider id {0:?} is given twice")]
    DuplicateId(String),
    /// Two offices share an authority name: a licence names its licensor, and that name finds its office.
    #[error("two providers are named {0:?}: each needs a name of its own")]
    DuplicateAuthority(String),
}

/// A node's providers; never empty, ids and authority names unique.
#[derive(Debug, Clone)]
pub struct Offices {
    offices: Vec<Office>,
}

fn valid_id(id: &str) -> bool {
    (1..=40).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl Offices {
    /// A node with one provider.
    pub fn one(
        id: &str,
        provider: Arc<Provider>,
        signer: Arc<CmsSigner>,
    ) -> Result<Self, OfficeError> {
        Offices {
            offices: Vec::new(),
        }
        .with(Office {
            id: id.to_string(),
            provider,
            signer,
        })
    }

    /// Adds `office` after the others.
    pub fn with(mut self, office: Office) -> Result<Self, OfficeError> {
        if !valid_id(&office.id) {
            return Err(OfficeError::BadId(office.id));
        }
        if self.offices.iter().any(|o| o.id == office.id) {
            return Err(OfficeError::DuplicateId(office.id));
        }
        if self
            .offices
            .iter()
            .any(|o| o.provider.authority == office.provider.authority)
        {
            return Err(OfficeError::DuplicateAuthority(
                office.provider.authority.to_string(),
            ));
        }
        self.offices.push(office);
        Ok(self)
    }

    /// The default office: the first.
    pub fn first(&self) -> &Office {
        // Never empty: built by `one` and grown by `with`.
        &self.offices[0]
    }

    /// The office with `id`; the empty id is the first's (applications stored before there were several).
    pub fn get(&self, id: &str) -> Option<&Office> {
        if id.is_empty() {
            return Some(self.first());
        }
        self.offices.iter().find(|o| o.id == id)
    }

    /// The office whose authority is `name` (a licence's licensor).
    pub fn by_authority(&self, name: &str) -> Option<&Office> {
        self.offices.iter().find(|o| o.provider.authority == name)
    }

    /// Every office, the first first.
    pub fn iter(&self) -> impl Iterator<Item = &Office> {
        self.offices.iter()
    }

    /// The ids an application of office `id` may be stored under: its own, and the empty id for the first.
    pub fn stored_ids<'a>(&self, id: &'a str) -> Vec<&'a str> {
        if id == self.first().id {
            vec![id, ""]
        } else {
            vec![id]
        }
    }
}
