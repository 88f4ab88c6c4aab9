//! A step's document rendered before the step's transaction, for the number the step is expected to take.
//!
//! Why: an application's decision (a licence, a refusal), a licence's re-issue or duplicate, or a refusal at
//! submission is rendered and sealed for its number, and the number is reserved in the step's transaction.
//! Rendering there held the writer — every other issuance of the node, on SQLite every write — for milliseconds of
//! CPU, and for a round trip to the timestamp authority when one is configured (up to its timeout). So the number is guessed first, from what a
//! reader sees (the next of the series, or the original's own number for a duplicate; for a refusal at submission,
//! the application's number as well as its own), the document rendered for it outside any transaction, and inside
//! the transaction [`Ahead::render`] hands that document out only when asked for that very number. When a writer
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

/// The number `expected` resolves to, given what a reader found: the last number of a series, the original of a
/// licence. `None` when a lookup fails: the transaction then renders as it always did.
pub(crate) fn resolve(
    expected: Expected<'_>,
    at: crate::clock::UnixTime,
    last: impl FnOnce(&FormId, i32) -> Option<u64>,
    original: impl FnOnce(DocumentId) -> Option<Original>,
) -> Option<DocumentNumber> {
    match expected {
        Expected::Next { form, assigned } => {
            let form = FormId::parse(form).ok()?;
            let year = year_of(at).ok()?;
            let sequence = last(&form, year)? + 1;
            Some(DocumentNumber {
                form,
                year,
                sequence,
                assigned: assigned.map(str::to_string),
            })
        }
        Expected::Reissue(licence) => {
            let form = original(licence)?.form;
            let year = year_of(at).ok()?;
            let sequence = last(&form, year)? + 1;
            Some(DocumentNumber {
                form,
                year,
                sequence,
                assigned: None,
            })
        }
        Expected::Duplicate(licence) => {
            let o = original(licence)?;
            Some(DocumentNumber {
                form: o.form,
                year: o.year,
                sequence: o.sequence,
                assigned: Some(o.number),
            })
        }
    }
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

/// A renderer with, perhaps, one document rendered ahead for one number.
struct Ahead<'a, 'r> {
    render: &'a mut Render<'r>,
    ready: Ready<DocumentNumber>,
}

impl<'a, 'r> Ahead<'a, 'r> {
    /// Renders for `expected` now, if a number is expected.
    fn new(render: &'a mut Render<'r>, expected: Option<DocumentNumber>) -> Self {
        let ready = Ready::ahead(expected, |n| render(n));
        Ahead { render, ready }
    }

    /// The document for `number`: the one rendered ahead if it was rendered for exactly this number (once),
    /// otherwise rendered now.
    fn render(&mut self, number: &DocumentNumber) -> Result<RenderedDocument, RenderError> {
        let render = &mut self.render;
        self.ready.take_or(number, || render(number))
    }
}

/// A refusal at submission with, perhaps, one rendered ahead for the application's number and its own.
struct AheadForApplication<'a, 'r> {
    render: &'a mut RenderForApplication<'r>,
    ready: Ready<(String, DocumentNumber)>,
}

impl<'a, 'r> AheadForApplication<'a, 'r> {
    /// Renders for `expected` (the application's number, the refusal's) now, if expected.
    fn new(
        render: &'a mut RenderForApplication<'r>,
        expected: Option<(String, DocumentNumber)>,
    ) -> Self {
        let ready = Ready::ahead(expected, |(application, n)| render(application, n));
        AheadForApplication { render, ready }
    }

    /// The refusal for application `application` numbered `number`: the one rendered ahead for exactly these
    /// (once), otherwise rendered now.
    fn render(
        &mut self,
        application: &str,
        number: &DocumentNumber,
    ) -> Result<RenderedDocument, RenderError> {
        let render = &mut self.render;
        self.ready
            .take_or(&(application.to_string(), number.clone()), || {
                render(application, number)
            })
    }
}

/// The numbers a submission refused at once is expected to take: its application's (the `QLT-APP` series) and its
/// refusal's, each the next of its series in the submission's year, given the last numbers a reader found.
pub(crate) fn expected_submission(
    at: crate::clock::UnixTime,
    application_series: &str,
    mut last: impl FnMut(&FormId, i32) -> Option<u64>,
) -> Option<(String, DocumentNumber)> {
    let next = |form| Expected::Next {
        form,
        assigned: None,
    };
    let application = resolve(next(application_series), at, &mut last, |_| None)?;
    let refusal = resolve(next("refusal"), at, &mut last, |_| None)?;
    Some((application.to_string(), refusal))
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
            let mut ahead = Ahead::new(render, guess);
            let mut render = |n: &DocumentNumber| ahead.render(n);
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
            let mut ahead = Ahead::new(render, guess());
            let mut render = |n: &DocumentNumber| ahead.render(n);
            change(Some(&mut render))
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
            let mut ahead = AheadForApplication::new(render, guess());
            let mut render = |application: &str, n: &DocumentNumber| ahead.render(application, n);
            submit(Some(&mut render))
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
        let mut calls = Vec::new();
        let mut render = |n: &DocumentNumber| {
            calls.push(n.sequence);
            document(n)
        };
        let mut ahead = Ahead::new(&mut render, Some(number(7)));
        let first = ahead.render(&number(7)).expect("rendered");
        assert_eq!(first.canonical_data, number(7).to_string().into_bytes());
        // Asked again (a step retried inside one transaction), or for another number: rendered now.
        let again = ahead.render(&number(7)).expect("rendered");
        assert_eq!(again.canonical_data, number(7).to_string().into_bytes());
        drop(ahead);
        assert_eq!(calls, [7, 7]);

        calls.clear();
        let mut render = |n: &DocumentNumber| {
            calls.push(n.sequence);
            document(n)
        };
        let mut ahead = Ahead::new(&mut render, Some(number(7)));
        let moved = ahead.render(&number(8)).expect("rendered");
        assert_eq!(moved.canonical_data, number(8).to_string().into_bytes());
        drop(ahead);
        assert_eq!(
            calls,
            [7, 8],
            "a taken number renders again, for the new one"
        );
    }

    #[test]
    fn a_failure_rendered_ahead_is_the_answer_for_its_number() {
        let mut calls = 0;
        let mut render = |_: &DocumentNumber| {
            calls += 1;
            Err(RenderError::Cancelled)
        };
        let mut ahead = Ahead::new(&mut render, Some(number(3)));
        assert!(matches!(
            ahead.render(&number(3)),
            Err(RenderError::Cancelled)
        ));
        drop(ahead);
        assert_eq!(calls, 1, "not rendered twice for the same number");
    }

    #[test]
    fn a_refusal_at_submission_rendered_ahead_is_used_only_for_both_its_numbers() {
        let at = UnixTime::from_secs(1_795_000_000);
        let expected = expected_submission(at, "QLT-APP", |form, _| {
            Some(if form.as_str() == "refusal" { 2 } else { 9 })
        })
        .expect("guessed");
        assert_eq!(expected.0, "QLT-APP-2026-000010");
        assert_eq!(expected.1.sequence, 3);
        let mut calls = Vec::new();
        let mut render = |application: &str, n: &DocumentNumber| {
            calls.push((application.to_string(), n.sequence));
            document(n)
        };
        let mut ahead = AheadForApplication::new(&mut render, Some(expected.clone()));
        ahead.render(&expected.0, &expected.1).expect("rendered");
        ahead
            .render("QLT-APP-2026-000011", &expected.1)
            .expect("rendered");
        drop(ahead);
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
        let n = resolve(next, at, |_, _| Some(4), |_| None).expect("guessed");
        assert_eq!((n.year, n.sequence), (2026, 5));
        assert_eq!(n.assigned.as_deref(), Some("KZ-1"));
        let original = || Original {
            form: FormId::parse("licence.private-bailiff").expect("form"),
            year: 2025,
            sequence: 12,
            number: "LIC-12".into(),
        };
        let re = resolve(
            Expected::Reissue(DocumentId(1)),
            at,
            |f, y| {
                assert_eq!((f.as_str(), y), ("licence.private-bailiff", 2026));
                Some(0)
            },
            |_| Some(original()),
        )
        .expect("guessed");
        assert_eq!((re.year, re.sequence, re.assigned), (2026, 1, None));
        let dup = resolve(
            Expected::Duplicate(DocumentId(1)),
            at,
            |_, _| None,
            |_| Some(original()),
        )
        .expect("guessed");
        assert_eq!((dup.year, dup.sequence), (2025, 12));
        assert_eq!(dup.assigned.as_deref(), Some("LIC-12"));
        assert!(resolve(next, at, |_, _| None, |_| None).is_none());
        let bad = Expected::Next {
            form: "no such form!",
            assigned: None,
        };
        assert!(resolve(bad, at, |_, _| Some(1), |_| None).is_none());
    }
}
