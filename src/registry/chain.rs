//! The audit log's hash chains: each entry carries the SHA-256 of its content and of the entry before it in its
//! chain, so an entry changed, removed or slipped in by hand — even by the database's administrator, who can
//! drop the append-only triggers and grants — breaks the chain at that entry.
//!
//! Chains are named (one per node on PostgreSQL, one per file on SQLite) and ordered by their own sequence, not by
//! the table's id: ids are handed out when a row is inserted, but concurrent transactions commit in another order,
//! so an id order would not be the order in which entries became final. Appending locks the chain's head row for
//! the rest of the transaction; the registry appends audit entries last, so that lock is held only for the final
//! inserts and the commit.
//!
//! What a chain cannot show is its own tail cut off together with its head row rewritten; `qoltanba audit verify`
//! prints every chain's head (sequence and hash) so an operator can keep them elsewhere and compare.

use serde::Serialize;

use crate::clock::UnixTime;

/// The hash before the first entry of every chain.
pub(crate) const GENESIS: [u8; 32] = [0; 32];

/// What an audit entry says, as the chain hashes it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Content<'a> {
    /// When (Unix seconds).
    pub at: UnixTime,
    /// Who.
    pub actor: &'a str,
    /// What.
    pub action: &'a str,
    /// On what.
    pub subject: &'a str,
}

/// The hash of entry `seq` of `chain` after `previous`: SHA-256 over a domain tag, the previous hash and every field,
/// each length-prefixed so no two different entries hash the same bytes.
pub(crate) fn link(previous: &[u8; 32], chain: &str, seq: i64, content: &Content<'_>) -> [u8; 32] {
    let mut bytes = Vec::with_capacity(
        64 + chain.len() + content.actor.len() + content.action.len() + content.subject.len(),
    );
    bytes.extend_from_slice(b"qoltanba audit v1\0");
    bytes.extend_from_slice(previous);
    for field in [chain, content.actor, content.action, content.subject] {
        bytes.extend_from_slice(&(field.len() as u64).to_be_bytes());
        bytes.extend_from_slice(field.as_bytes());
    }
    bytes.extend_from_slice(&seq.to_be_bytes());
    bytes.extend_from_slice(&content.at.secs().to_be_bytes());
    crate::encoding::sha256(&bytes)
}

/// One audit entry with its place in its chain, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedEntry {
    /// The row id.
    pub id: i64,
    /// Its chain.
    pub chain: String,
    /// Its place in the chain, from 1.
    pub seq: i64,
    /// When.
    pub at: UnixTime,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// On what.
    pub subject: String,
    /// The stored hash.
    pub hash: Vec<u8>,
}

/// A chain's head as stored: its last sequence and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainHead {
    /// The chain.
    pub chain: String,
    /// The last entry's sequence (0: empty).
    pub seq: i64,
    /// The last entry's hash, hex.
    pub hash: String,
}

/// Where a chain is broken: the first link that does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Break {
    /// The entry's content or hash is not what was chained: it was changed.
    #[serde(rename_all = "camelCase")]
    Altered {
        /// The entry's row id.
        id: i64,
        /// Its place.
        seq: i64,
    },
    /// Entries are missing before this one (deleted), or one was slipped in with a sequence out of turn.
    #[serde(rename_all = "camelCase")]
    OutOfSequence {
        /// The entry's row id.
        id: i64,
        /// The sequence expected here.
        expected: i64,
        /// The sequence found.
        found: i64,
    },
    /// The chain's head says it is longer or ends elsewhere than its entries: its last entries were removed, or
    /// the head was rewritten.
    #[serde(rename_all = "camelCase")]
    Head {
        /// The head's sequence.
        head_seq: i64,
        /// The last entry's sequence.
        last_seq: i64,
    },
}

/// Walks one chain's entries in sequence order, feeding them one page at a time; tells the first break.
#[derive(Debug)]
pub(crate) struct Walk {
    previous: [u8; 32],
    expected: i64,
    broken: Option<Break>,
}

impl Default for Walk {
    fn default() -> Self {
        Walk {
            previous: GENESIS,
            expected: 1,
            broken: None,
        }
    }
}

impl Walk {
    /// Checks the next entry of `chain` (entries must come in their stored sequence order).
    pub(crate) fn next(&mut self, chain: &str, entry: &ChainedEntry) {
        if self.broken.is_some() {
            return;
        }
        if entry.seq != self.expected {
            self.broken = Some(Break::OutOfSequence {
                id: entry.id,
                expected: self.expected,
                found: entry.seq,
            });
            return;
        }
        let content = Content {
            at: entry.at,
            actor: &entry.actor,
            action: &entry.action,
            subject: &entry.subject,
        };
        let hash = link(&self.previous, chain, entry.seq, &content);
        if entry.hash.as_slice() != hash.as_slice() || entry.chain != chain {
            self.broken = Some(Break::Altered {
                id: entry.id,
                seq: entry.seq,
            });
            return;
        }
        self.previous = hash;
        self.expected += 1;
    }

    /// How many entries checked out so far.
    pub(crate) fn checked(&self) -> i64 {
        self.expected - 1
    }

    /// The first break, once every entry was fed, compared with the chain's stored head.
    pub(crate) fn finish(self, head: Option<&ChainHead>) -> Option<Break> {
        if let Some(broken) = self.broken {
            return Some(broken);
        }
        let last_seq = self.expected - 1;
        let last_hash = crate::encoding::hex(&self.previous);
        match head {
            Some(h) if h.seq == last_seq && (last_seq == 0 || h.hash == last_hash) => None,
            Some(h) => Some(Break::Head {
                head_seq: h.seq,
                last_seq,
            }),
            // Entries in a chain no head knows: slipped in under a made-up chain.
            None if last_seq > 0 => Some(Break::Head {
                head_seq: 0,
                last_seq,
            }),
            None => None,
        }
    }
}

/// What `qoltanba audit verify` found in one chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainReport {
    /// The chain's stored head.
    pub head: ChainHead,
    /// How many entries held, from the first.
    pub checked: i64,
    /// The first link that does not hold.
    pub broken: Option<Break>,
}

/// Walks every audit chain of `registry`, a page at a time, and tells each one's first broken link.
pub fn verify(registry: &dyn super::Registry) -> Result<Vec<ChainReport>, super::RegistryError> {
    const PAGE: usize = 1000;
    let mut reports = Vec::new();
    for head in registry.audit_heads()? {
        let mut walk = Walk::default();
        let mut after = (0, 0);
        loop {
            let page = registry.audit_chain(&head.chain, after, PAGE)?;
            for entry in &page {
                walk.next(&head.chain, entry);
                after = (entry.seq, entry.id);
            }
            if page.len() < PAGE {
                break;
            }
        }
        let checked = walk.checked();
        let known = (head.seq > 0 || !head.hash.is_empty()).then_some(&head);
        let broken = walk.finish(known);
        reports.push(ChainReport {
            head,
            checked,
            broken,
        });
    }
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain_of(n: i64) -> (Vec<ChainedEntry>, ChainHead) {
        let mut previous = GENESIS;
        let mut out = Vec::new();
        for seq in 1..=n {
            let content = Content {
                at: UnixTime::from_secs(1_700_000_000 + seq),
                actor: "op",
                action: "document.issued",
                subject: "licence-2026-000001",
            };
            let hash = link(&previous, "main", seq, &content);
            out.push(ChainedEntry {
                id: seq * 10,
                chain: "main".into(),
                seq,
                at: content.at,
                actor: content.actor.into(),
                action: content.action.into(),
                subject: content.subject.into(),
                hash: hash.to_vec(),
            });
            previous = hash;
        }
        let head = ChainHead {
            chain: "main".into(),
            seq: n,
            hash: crate::encoding::hex(&previous),
        };
        (out, head)
    }

    fn walk(entries: &[ChainedEntry], head: &ChainHead) -> Option<Break> {
        let mut w = Walk::default();
        for e in entries {
            w.next("main", e);
        }
        w.finish(Some(head))
    }

    #[test]
    fn an_intact_chain_holds() {
        let (entries, head) = chain_of(5);
        assert_eq!(walk(&entries, &head), None);
    }

    #[test]
    fn each_kind_of_tampering_is_named_at_its_entry() {
        let (entries, head) = chain_of(5);
        let mut changed = entries.clone();
        changed[2].subject = "licence-2026-000999".into();
        assert_eq!(
            walk(&changed, &head),
            Some(Break::Altered { id: 30, seq: 3 })
        );
        let mut removed = entries.clone();
        removed.remove(1);
        assert_eq!(
            walk(&removed, &head),
            Some(Break::OutOfSequence {
                id: 30,
                expected: 2,
                found: 3
            })
        );
        let tail_cut = &entries[..4];
        assert_eq!(
            walk(tail_cut, &head),
            Some(Break::Head {
                head_seq: 5,
                last_seq: 4
            })
        );
        // The same content under another sequence does not hash the same.
        let mut renumbered = entries.clone();
        renumbered[4].seq = 6;
        assert!(walk(&renumbered, &head).is_some());
    }
}
