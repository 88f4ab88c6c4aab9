// Included (not a module) by `xml::dom`'s differential unit test and by the `xml_differential` fuzz target
// (`fuzz/targets.rs`): both hold our parser to roxmltree's, and both must forgive roxmltree the same laxities.

/// Our parser's messages for what roxmltree accepts and the specifications do not: a `VersionNum` is `1.` and
/// digits and an `EncName` starts with a letter (XML 1.0 §2.8, §4.3.3); an attribute named `:y` is no QName
/// (Namespaces 1.0 §4); `<?xml>` is a processing instruction with the reserved target `xml` and no whitespace after
/// it, and `<?a<b?>` has no whitespace after its target (XML 1.0 §2.6); a processing instruction target has no
/// colon (Namespaces 1.0 §7).
const STRICTER: &[&str] = &[
    "in the XML declaration",
    "misplaced colon",
    "XML declaration not at the start",
    "whitespace after the processing instruction target",
    "target with a colon",
];
