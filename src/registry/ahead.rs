//! A step's document rendered before the step's transaction, for the number the step is expected to take.
//!
//! Why: an application's decision (a licence, a refusal), a licence's re-issue or duplicate, or a refusal at
//! submission is rendered and sealed for its number, and the number is reserved in the step's transaction.
//! Rendering there held the writer — every other issuance of the node, on SQLite every write — for milliseconds of
//! CPU, and for a round trip to the timestamp authority when one is configured (up to its timeout). So the number is guessed first, from what a
//! reader sees (the next of the series, or the original's own number for a duplicate; for a refusal at submission,
//! the application's number as well as its own), the document rendered for it outside any transaction, and inside
//! the transaction the renderer the step is given hands that document out only when asked for that very number. When a writer
//! took the number meanwhile, it is asked for another and renders again, inside, as before: a guess can cost a
//! second rendering, never a wrong number in a document.

use super::{
    year_of, Advance, DocumentId, DocumentNumber, Render, RenderError, RenderForApplication,
    RenderedDocument,
};
use crate::forms::FormId;
use crate::issuance::LifecycleAction;

/// Where a step's document takes its number from, before anything is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expected<'a> {
    /// The next number of `form`'s series in the step's year (its text assigned outside, when given).
    Next {
        /// The form's id, as the step names it.
        form: &'a str,
        /// The number an outside registry assigned.
        assigned: Option<&'a str>,
    },
    /// A re-issue: the next number of the licence's own form.
    Reissue(DocumentId),
    /// A duplicate: the original's own number.
    Duplicate(DocumentId),
}

impl<'a> Expected<'a> {
    /// What `advance`'s document (if it issues one) will be numbered by.
    pub(crate) fn of_step(advance: &Advance<'a, '_>) -> Option<Expected<'a>> {
        let (form, _) = advance.document.as_ref()?;
        match advance.change {
            Some((licence, action, _)) => Expected::of_change(licence, action),
            None => Some(Expected::Next {
                form,
                assigned: advance.number,
            }),
        }
    }

    /// What a lifecycle `action` on `licence` issues, if anything.
    pub(crate) fn of_change(licence: DocumentId, action: LifecycleAction) -> Option<Expected<'a>> {
        match action {
            LifecycleAction::Reissue => Some(Expected::Reissue(licence)),
            LifecycleAction::Duplicate => Some(Expected::Duplicate(licence)),
            _ => None,
        }
    }
}

/// The original of a licence as the registry stores it: its form, year and sequence, and its number's text.
#[derive(Debug, Clone)]
pub(crate) struct Original {
    /// Its form.
    pub form: FormId,
    /// Its series' year.
    pub year: i32,
    /// Its place in the series.
    pub sequence: u64,
    /// The number as stored (ours, or the one assigned outside).
    pub number: String,
}

impl Expected<'_> {
    /// The licence whose original a reader must look up first, if any.
    pub(crate) fn licence(&self) -> Option<DocumentId> {
        match self {
            Expected::Next { .. } => None,
            Expected::Reissue(licence) | Expected::Duplicate(licence) => Some(*licence),
        }
    }

    /// The series (form, year) whose last number a reader must look up, given the original looked up for
    /// [`Expected::licence`]; `None` for a duplicate, which keeps its original's number.
    pub(crate) fn series(
        &self,
        original: Option<&Original>,
        at: crate::clock::UnixTime,
    ) -> Option<(FormId, i32)> {
        let form = match self {
            Expected::Next { form, .. } => FormId::parse(form).ok()?,
            Expected::Reissue(_) => original?.form.clone(),
            Expected::Duplicate(_) => return None,
        };
        Some((form, year_of(at).ok()?))
    }
}

/// The number `expected` resolves to, given what a reader found: the original of the licence it names (if any) and
/// the last number of its [series](Expected::series). `None` when something needed is missing: the transaction then
/// renders as it always did.
pub(crate) fn resolve(
    expected: Expected<'_>,
    at: crate::clock::UnixTime,
    original: Option<Original>,
    last: Option<u64>,
) -> Option<DocumentNumber> {
    if let Expected::Duplicate(_) = expected {
        let o = original?;
        return Some(DocumentNumber {
            form: o.form,
            year: o.year,
            sequence: o.sequence,
            assigned: Some(o.number),
        });
    }
    let (form, year) = expected.series(original.as_ref(), at)?;
    let assigned = match expected {
        Expected::Next { assigned, .. } => assigned.map(str::to_string),
        _ => None,
    };
    Some(DocumentNumber {
        form,
        year,
        sequence: last? + 1,
        assigned,
    })
}

/// One document rendered ahead, for one key: the number it carries (and, at submission, the application's number).
struct Ready<K> {
    ready: Option<(K, Result<RenderedDocument, RenderError>)>,
}

impl<K: PartialEq> Ready<K> {
    /// Renders for `key` now, if there is one (a failure is kept too: asked for the same key, the transaction gets
    /// the same answer without rendering, or calling the timestamp authority, again).
    fn ahead(
        key: Option<K>,
        render: impl FnOnce(&K) -> Result<RenderedDocument, RenderError>,
    ) -> Self {
        Ready {
            ready: key.map(|key| {
                let rendered = render(&key);
                (key, rendered)
            }),
        }
    }

    /// The answer rendered ahead if it was rendered for exactly `key` (once); otherwise `render()` now.
    fn take_or(
        &mut self,
        key: &K,
        render: impl FnOnce() -> Result<RenderedDocument, RenderError>,
    ) -> Result<RenderedDocument, RenderError> {
        match self.ready.take() {
            Some((guessed, rendered)) if guessed == *key => rendered,
            guessed => {
                if guessed.is_some() {
                    tracing::debug!("a document rendered again: its number was taken meanwhile");
                }
                render()
            }
        }
    }
}

/// The numbers a submission refused at once is expected to take: its application's (in `application_series`) and
/// its refusal's, each the next after the last number a reader found in its series for the submission's year.
pub(crate) fn expected_submission(
    at: crate::clock::UnixTime,
    application_series: &str,
    last_application: u64,
    last_refusal: u64,
) -> Option<(String, DocumentNumber)> {
    let next = |form, last| {
        let expected = Expected::Next {
            form,
            assigned: None,
        };
        resolve(expected, at, None, Some(last))
    };
    let application = next(application_series, last_application)?;
    Some((application.to_string(), next("refusal", last_refusal)?))
}

/// Runs `step` — a step's transaction — with `advance`'s renderer (if it issues a document) handing out the document
/// rendered now for `guess`.
pub(crate) fn advancing<T>(
    mut advance: Advance<'_, '_>,
    guess: Option<DocumentNumber>,
    step: impl FnOnce(Advance<'_, '_>) -> T,
) -> T {
    match advance.document.take() {
        None => step(advance),
        Some((form, render)) => {
            let mut ready = Ready::ahead(guess, |n| render(n));
            let mut render = |n: &DocumentNumber| ready.take_or(n, || render(n));
            step(with_document(advance, Some((form, &mut render))))
        }
    }
}

/// Runs `change` — a licence change's transaction — with `render` (if it makes a document) handing out the document
/// rendered now for the number `guess` gives.
pub(crate) fn changing<T>(
    render: Option<&mut Render<'_>>,
    guess: impl FnOnce() -> Option<DocumentNumber>,
    change: impl FnOnce(Option<&mut Render<'_>>) -> T,
) -> T {
    match render {
        None => change(None),
        Some(render) => {
            let mut ready = Ready::ahead(guess(), |n| render(n));
            change(Some(&mut |n: &DocumentNumber| {
                ready.take_or(n, || render(n))
            }))
        }
    }
}

/// Runs `submit` — a submission's transaction — with `refusal` (if the submission is refused at once) handing out
/// the refusal rendered now for the numbers `guess` gives.
pub(crate) fn submitting<T>(
    refusal: Option<&mut RenderForApplication<'_>>,
    guess: impl FnOnce() -> Option<(String, DocumentNumber)>,
    submit: impl FnOnce(Option<&mut RenderForApplication<'_>>) -> T,
) -> T {
    match refusal {
        None => submit(None),
        Some(render) => {
            let mut ready = Ready::ahead(guess(), |(application, n)| render(application, n));
            submit(Some(&mut |application: &str, n: &DocumentNumber| {
                let key = (application.to_string(), n.clone());
                ready.take_or(&key, || render(application, n))
            }))
        }
    }
}

/// `advance` with `document` (its form and renderer) in place of its own, which the caller took out.
fn with_document<'a, 's>(
    advance: Advance<'a, '_>,
    document: Option<(&'a str, &'a mut Render<'s>)>,
) -> Advance<'a, 's> {
    let Advance {
        from,
        to,
        audit,
        registers,
        decides,
        at,
        payment_reference,
        due_date,
        document: _,
        number,
        signature,
        change,
        idempotency,
        verification,
    } = advance;
    Advance {
        from,
        to,
        audit,
        registers,
        decides,
        at,
        payment_reference,
        due_date,
        document,
        number,
        signature,
        change,
        idempotency,
        verification,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::UnixTime;

    fn number(sequence: u64) -> DocumentNumber {
        DocumentNumber {
            form: FormId::parse("refusal").expect("form"),
            year: 2026,
            sequence,
            assigned: None,
        }
    }

    fn document(n: &DocumentNumber) -> Result<RenderedDocument, RenderError> {
        Ok(RenderedDocument {
            issued_at: UnixTime::from_secs(1_795_000_000),
            canonical_data: n.to_string().into_bytes(),
            seal: vec![],
            pdf: vec![],
        })
    }

    #[test]
    fn the_document_rendered_ahead_is_used_only_for_its_own_number_and_only_once() {
        for (asked, rendered) in [
            // Asked for the number guessed, then again (a step retried inside one transaction): rendered again.
            (vec![7, 7], vec![7, 7]),
            // Asked for another number (a writer took the one guessed): rendered for it.
            (vec![8], vec![7, 8]),
        ] {
            let mut calls = Vec::new();
            let mut render = |n: &DocumentNumber| {
                calls.push(n.sequence);
                document(n)
            };
            changing(
                Some(&mut render),
                || Some(number(7)),
                |render| {
                    let render = render.expect("a renderer");
                    for sequence in &asked {
                        let made = render(&number(*sequence)).expect("rendered");
                        assert_eq!(
                            made.canonical_data,
                            number(*sequence).to_string().into_bytes()
                        );
                    }
                },
            );
            assert_eq!(calls, rendered);
        }
        // No guess: rendered only when asked.
        let mut calls = 0;
        let mut render = |n: &DocumentNumber| {
            calls += 1;
            document(n)
        };
        changing(
            Some(&mut render),
            || None,
            |render| {
                render.expect("a renderer")(&number(1)).expect("rendered");
            },
        );
        assert_eq!(calls, 1);
    }

    #[test]
    fn a_failure_rendered_ahead_is_the_answer_for_its_number() {
        let mut calls = 0;
        let mut render = |_: &DocumentNumber| {
            calls += 1;
            Err(RenderError::Cancelled)
        };
        changing(
            Some(&mut render),
            || Some(number(3)),
            |render| {
                assert!(matches!(
                    render.expect("a renderer")(&number(3)),
                    Err(RenderError::Cancelled)
                ));
            },
        );
        assert_eq!(calls, 1, "not rendered twice for the same number");
    }

    #[test]
    fn a_refusal_at_submission_rendered_ahead_is_used_only_for_both_its_numbers() {
        let at = UnixTime::from_secs(1_795_000_000);
        let expected = expected_submission(at, "QLT-APP", 9, 2).expect("guessed");
        assert_eq!(expected.0, "QLT-APP-2026-000010");
        assert_eq!(expected.1.sequence, 3);
        let mut calls = Vec::new();
        let mut render = |application: &str, n: &DocumentNumber| {
            calls.push((application.to_string(), n.sequence));
            document(n)
        };
        submitting(
            Some(&mut render),
            || Some(expected.clone()),
            |render| {
                let render = render.expect("a renderer");
                render(&expected.0, &expected.1).expect("rendered");
                render("QLT-APP-2026-000011", &expected.1).expect("rendered");
            },
        );
        assert_eq!(
            calls,
            [
                ("QLT-APP-2026-000010".to_string(), 3),
                ("QLT-APP-2026-000011".to_string(), 3)
            ],
            "used for its own numbers once; another application's number renders again"
        );
    }

    #[test]
    fn numbers_are_guessed_as_the_transaction_reserves_them() {
        let at = UnixTime::from_secs(1_795_000_000); // 2026
        let next = Expected::Next {
            form: "refusal",
            assigned: Some("KZ-1"),
        };
        assert_eq!(next.licence(), None);
        let n = resolve(next, at, None, Some(4)).expect("guessed");
        assert_eq!((n.year, n.sequence), (2026, 5));
        assert_eq!(n.assigned.as_deref(), Some("KZ-1"));
        let original = Original {
            form: FormId::parse("licence.private-bailiff").expect("form"),
            year: 2025,
            sequence: 12,
            number: "LIC-12".into(),
        };
        let reissue = Expected::Reissue(DocumentId(1));
        assert_eq!(reissue.licence(), Some(DocumentId(1)));
        let (form, year) = reissue.series(Some(&original), at).expect("a series");
        assert_eq!((form.as_str(), year), ("licence.private-bailiff", 2026));
        let re = resolve(reissue, at, Some(original.clone()), Some(0)).expect("guessed");
        assert_eq!((re.year, re.sequence, re.assigned), (2026, 1, None));
        let duplicate = Expected::Duplicate(DocumentId(1));
        assert!(duplicate.series(Some(&original), at).is_none());
        let dup = resolve(duplicate, at, Some(original), None).expect("guessed");
        assert_eq!((dup.year, dup.sequence), (2025, 12));
        assert_eq!(dup.assigned.as_deref(), Some("LIC-12"));
        assert!(
            resolve(next, at, None, None).is_none(),
            "no last number read"
        );
        assert!(
            resolve(reissue, at, None, Some(1)).is_none(),
            "no original read"
        );
        let bad = Expected::Next {
            form: "no such form!",
            assigned: None,
        };
        assert!(resolve(bad, at, None, Some(1)).is_none());
    }
}
