//! The auditors' page in a real browser (issue 8): headless Chromium driven over W3C WebDriver (Debian packages
//! `chromium` and `chromium-driver`; pages rendered with `pdftoppm`, package `poppler-utils`). A genuine PDF →
//! valid; a tampered PDF → invalid with its reason and the altered field; pasted barcode text → valid, typed and
//! sent with the keyboard alone; a suspended licence → its status, from its PDF and from a photo of its page; a
//! terminated licence's pasted barcode text → its status and reason; a re-issued one's → replaced, by which number; the
//! camera (Chromium's fake capture device playing a barcode) → valid, and a seal of several symbols shown one after
//! another → collected and valid; the page fits a phone screen, its text has
//! readable contrast and every control a label. With `QOLTANBA_UPDATE_SCREENSHOTS=1` the screenshots of these
//! states are written to `docs/verify/`.

use crate::common;
use crate::common::client::{bearer, free_addr, issue_reference, request_with, service, Service};
use base64::Engine;
use qoltanba::LifecycleAction;
use qoltanba::{Registry, RenderedDocument, StoredDocument};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One WebDriver command over its own connection. chromedriver keeps connections alive whatever the client
/// asks, so the answer is read by its Content-Length rather than to the end of the stream.
fn wd(addr: SocketAddr, method: &str, path: &str, body: &Value) -> (u16, Value) {
    use std::io::{BufRead, BufReader, Read, Write};
    let body = if method == "GET" || method == "DELETE" {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    let mut s = std::net::TcpStream::connect(addr).expect("connect to chromedriver");
    s.set_read_timeout(Some(Duration::from_secs(90)))
        .expect("read timeout");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).expect("request head");
    s.write_all(&body).expect("request body");
    let mut r = BufReader::new(s);
    let mut status_line = String::new();
    r.read_line(&mut status_line).expect("status line");
    let status: u16 = status_line
        .get(9..12)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        r.read_line(&mut line).expect("header line");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().expect("content length");
        }
    }
    let mut answer = vec![0u8; length];
    r.read_exact(&mut answer).expect("answer body");
    (
        status,
        serde_json::from_slice(&answer).unwrap_or(Value::Null),
    )
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A browser session: chromedriver and the headless Chromium it starts, both ended on drop.
struct Browser {
    addr: SocketAddr,
    child: std::process::Child,
    session: String,
    log: PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = wd(
            self.addr,
            "DELETE",
            &format!("/session/{}", self.session),
            &Value::Null,
        );
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    /// Starts Chromium at `width` × `height` CSS pixels with `extra` command-line arguments; `phone` emulates a
    /// phone's screen (a window cannot be made that narrow) of that size, with touch.
    fn start(dir: &Path, (width, height): (u32, u32), phone: bool, extra: &[String]) -> Browser {
        let addr = free_addr();
        let log = dir.join(format!("chromedriver-{}.log", addr.port()));
        let child = std::process::Command::new("chromedriver")
            .arg(format!("--port={}", addr.port()))
            .arg(format!("--log-path={}", log.display()))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("chromedriver");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut args: Vec<String> = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--lang=en-US",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.push(format!("--window-size={width},{height}"));
        args.extend(extra.iter().cloned());
        let binary = ["/usr/bin/chromium", "/usr/lib/chromium/chromium"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .unwrap_or("chromium");
        let mut options = json!({"binary": binary, "args": args});
        if phone {
            options["mobileEmulation"] = json!({"deviceMetrics":
                {"width": width, "height": height, "pixelRatio": 1.0, "touch": true}});
        }
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome",
            "goog:chromeOptions": options}}});
        let (status, v) = wd(addr, "POST", "/session", &caps);
        let session = match v["value"]["sessionId"].as_str() {
            Some(s) if status == 200 => s.to_string(),
            _ => panic!(
                "no WebDriver session ({status}): {v}\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            ),
        };
        let b = Browser {
            addr,
            child,
            session,
            log,
        };
        b.call(
            "POST",
            "/timeouts",
            &json!({"pageLoad": 30000, "script": 30000, "implicit": 0}),
        );
        b
    }

    fn call(&self, method: &str, path: &str, body: &Value) -> Value {
        let (status, v) = wd(
            self.addr,
            method,
            &format!("/session/{}{path}", self.session),
            body,
        );
        if status != 200 {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: String = log
                .lines()
                .rev()
                .take(40)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n");
            panic!("{method} {path}: {status} {v}\nchromedriver log:\n{tail}");
        }
        v["value"].clone()
    }

    fn open(&self, url: &str) {
        self.call("POST", "/url", &json!({ "url": url }));
    }

    fn element(&self, css: &str) -> String {
        let v = self.call(
            "POST",
            "/element",
            &json!({"using": "css selector", "value": css}),
        );
        v[ELEMENT].as_str().expect("element id").to_string()
    }

    fn click(&self, css: &str) {
        let e = self.element(css);
        self.call("POST", &format!("/element/{e}/click"), &json!({}));
    }

    /// Types into an element; for a file input, the text is the file's path.
    fn send_keys(&self, css: &str, text: &str) {
        let e = self.element(css);
        self.call(
            "POST",
            &format!("/element/{e}/value"),
            &json!({ "text": text }),
        );
    }

    fn text(&self, css: &str) -> String {
        let e = self.element(css);
        self.call("GET", &format!("/element/{e}/text"), &Value::Null)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn script(&self, body: &str) -> Value {
        self.script_with(body, json!([]))
    }

    /// Runs `body` with `arguments` set to `args`.
    fn script_with(&self, body: &str, args: Value) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            &json!({"script": body, "args": args}),
        )
    }

    /// The id of the element that has the keyboard focus.
    fn focused(&self) -> Value {
        self.script("return document.activeElement.id;")
    }

    /// Presses keys (WebDriver key codes) one after another, as a person at the keyboard.
    fn press(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|k| {
                [
                    json!({"type": "keyDown", "value": k.to_string()}),
                    json!({"type": "keyUp", "value": k.to_string()}),
                ]
            })
            .collect();
        self.call(
            "POST",
            "/actions",
            &json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
        );
    }

    /// Waits until `#verdict` shows a verdict, then returns it and the whole result's text.
    fn verdict(&self) -> (String, String) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let v = self.script(
                "const r = document.getElementById('result'); \
                 return r.hidden ? '' : document.getElementById('verdict').textContent;",
            );
            let verdict = v.as_str().unwrap_or_default().to_string();
            if !verdict.is_empty() {
                return (verdict, self.text("#result"));
            }
            assert!(
                Instant::now() < deadline,
                "no verdict shown; status: {:?}",
                self.text("#scan-status")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Opens the page afresh in `lang` (kk, ru, en).
    fn page(&self, url: &str, lang: &str) {
        self.open(url);
        self.click(&format!("nav button[data-lang='{lang}']"));
    }

    fn check_pdf(&self, pdf: &Path) -> (String, String) {
        self.send_keys("#pdf-file", &pdf.to_string_lossy());
        self.click("#pdf-submit");
        self.verdict()
    }

    /// The whole page as PNG; written to `docs/verify/NAME.png` when `QOLTANBA_UPDATE_SCREENSHOTS=1`.
    fn screenshot(&self, name: &str) {
        // The window made as tall as the document for the picture, then put back.
        self.script("window.scrollTo(0, 0); document.activeElement.blur();");
        let rect = self.call("GET", "/window/rect", &Value::Null);
        let tall = self
            .script("return document.documentElement.scrollHeight + (window.outerHeight - window.innerHeight);");
        self.call(
            "POST",
            "/window/rect",
            &json!({"width": rect["width"], "height": tall}),
        );
        self.save_screenshot(name);
        self.call(
            "POST",
            "/window/rect",
            &json!({"width": rect["width"], "height": rect["height"]}),
        );
    }

    /// What the screen shows now (a phone's screen cannot be made taller).
    fn save_screenshot(&self, name: &str) {
        let png = self.call("GET", "/screenshot", &Value::Null);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().expect("base64 screenshot"))
            .expect("screenshot PNG");
        assert!(bytes.starts_with(b"\x89PNG"), "{name}: not a PNG");
        if std::env::var("QOLTANBA_UPDATE_SCREENSHOTS").as_deref() == Ok("1") {
            let dir = common::project_dir().join("docs/verify");
            std::fs::create_dir_all(&dir).expect("docs/verify");
            std::fs::write(dir.join(format!("{name}.png")), bytes).expect("write screenshot");
        }
    }
}

/// What the browser tests check: a reference as a portal gets it, the same with one digit of its embedded birth
/// date changed, and a licence the operator has suspended.
struct Documents {
    reference: Value,
    genuine: PathBuf,
    tampered: PathBuf,
    altered_date: String,
    suspended: PathBuf,
    suspended_number: String,
    terminated_seal: Vec<String>,
    terminated_number: String,
    replaced_seal: Vec<String>,
    replacement_number: String,
}

fn documents(svc: &Service, dir: &Path) -> Documents {
    let sample = qoltanba::form("reference.birth").expect("form").sample();
    let reference = issue_reference(svc, "reference.birth", &sample).json();
    let pdf = request_with(
        svc.addr,
        "GET",
        reference["pdf"].as_str().expect("pdf link"),
        "application/json",
        &bearer(&svc.portal),
        b"",
    )
    .body;
    assert!(pdf.starts_with(b"%PDF-"));
    let genuine = dir.join("genuine.pdf");
    std::fs::write(&genuine, &pdf).expect("write");

    // The embedded data is uncompressed JSON: change one digit of the birth date where it is embedded (the page
    // text is encoded by glyph, so the bytes found are the embedded data's), keeping the file's length.
    let date = sample["birth_date"].as_str().expect("birth_date");
    let needle = format!("\"birth_date\":\"{date}\"");
    let at = pdf
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
        .expect("the embedded data holds the birth date")
        + needle.len()
        - 2;
    let mut tampered = pdf.clone();
    tampered[at] = if pdf[at] == b'9' { b'0' } else { pdf[at] + 1 };
    let altered_date =
        String::from_utf8(tampered[at + 1 - date.len()..at + 1].to_vec()).expect("date text");
    assert_ne!(altered_date, date);
    let tampered_path = dir.join("tampered.pdf");
    std::fs::write(&tampered_path, &tampered).expect("write");

    // Licences issued through the registry: one suspended by the operator, one terminated.
    let (licence, _) = licence_with(svc, LifecycleAction::Suspend, "сот шешімі / решение суда");
    let (terminated, _) = licence_with(svc, LifecycleAction::Terminate, "лицензиаттың өтініші");
    let (replaced, replacement) = licence_with(svc, LifecycleAction::Reissue, "атауы өзгерді");
    let suspended = dir.join("suspended.pdf");
    std::fs::write(&suspended, &licence.pdf).expect("write");
    Documents {
        reference,
        genuine,
        tampered: tampered_path,
        altered_date,
        suspended,
        suspended_number: licence.number.clone(),
        terminated_seal: terminated.seal,
        terminated_number: terminated.number,
        replaced_seal: replaced.seal,
        replacement_number: replacement.expect("a replacement"),
    }
}

/// A licence issued through the registry now, then changed by the operator with `action` for `reason` (a re-issue
/// makes its replacement with the same data). Returns the licence and its replacement's number, if any.
fn licence_with(
    svc: &Service,
    action: LifecycleAction,
    reason: &str,
) -> (StoredDocument, Option<String>) {
    let signer = qoltanba::demo_provider_signer().expect("signer");
    let form = "licence.private-bailiff";
    let data = qoltanba::form(form).expect("form").sample();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut render = |n: &qoltanba::DocumentNumber| {
        qoltanba::issue(
            form,
            &data,
            &n.to_string(),
            now,
            Some(qoltanba::Sealing {
                signer: &signer,
                mode: qoltanba::SealMode::Compact,
            }),
        )
        .map(RenderedDocument::from)
        .map_err(qoltanba::RenderError::from)
    };
    let year = qoltanba::local_year(now).expect("year");
    let licence = svc
        .registry
        .issue(
            &crate::common::form_id(form),
            year,
            "operator-1",
            &mut render,
        )
        .expect("licence");
    let (_, replacement) = svc
        .registry
        .change_document(
            licence.id,
            "operator-1",
            action,
            reason,
            qoltanba::UnixTime::from_secs(now),
            (action == LifecycleAction::Reissue).then_some(&mut render as _),
        )
        .expect("lifecycle change");
    (licence, replacement.map(|r| r.number))
}

/// The first page of a PDF as a PNG at `dpi` (`pdftoppm`), as a phone photographs paper.
fn photograph(pdf: &Path, dpi: u32) -> PathBuf {
    let stem = pdf.with_extension("");
    let status = std::process::Command::new("pdftoppm")
        .args([
            "-png",
            "-singlefile",
            "-f",
            "1",
            "-l",
            "1",
            "-r",
            &dpi.to_string(),
        ])
        .arg(pdf)
        .arg(&stem)
        .status()
        .expect("pdftoppm");
    assert!(status.success());
    stem.with_extension("png")
}

/// A video file for Chromium's fake camera (YUV4MPEG2, 4:2:0, 10 frames a second, played in a loop): each text as
/// a QR symbol with its quiet zone, as large as fits (at most four pixels a module), on a white 1280 × 720 frame
/// for one second after another — a camera held over each symbol of a seal in turn.
fn camera_video(texts: &[&str], path: &Path) {
    let (w, h) = (1280usize, 720usize);
    let mut video = format!("YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n").into_bytes();
    for text in texts {
        let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
            .expect("QR symbol");
        let modules = code.width();
        let scale = (h / (modules + 8)).min(4);
        assert!(scale >= 2, "symbol too large for the frame");
        let side = (modules + 8) * scale;
        let (x0, y0) = ((w - side) / 2, (h - side) / 2);
        let mut luma = vec![255u8; w * h];
        for (i, c) in code.to_colors().iter().enumerate() {
            if *c != qrcode::Color::Dark {
                continue;
            }
            let (mx, my) = (i % modules + 4, i / modules + 4);
            for dy in 0..scale {
                let from = (y0 + my * scale + dy) * w + x0 + mx * scale;
                luma[from..from + scale].fill(0);
            }
        }
        for _ in 0..10 {
            video.extend_from_slice(b"FRAME\n");
            video.extend_from_slice(&luma);
            video.extend(std::iter::repeat_n(128u8, w * h / 2));
        }
    }
    std::fs::write(path, video).expect("write video");
}

/// Starts Chromium with its fake camera playing `texts`, opens the page, starts scanning and returns the verdict
/// and the result's text.
fn scan_with_camera(dir: &Path, url: &str, texts: &[&str]) -> (String, String, Value) {
    let video = dir.join(format!("camera-{}.y4m", texts.len()));
    camera_video(texts, &video);
    let camera = Browser::start(
        dir,
        (1000, 1400),
        false,
        &[
            "--use-fake-ui-for-media-stream".into(),
            "--use-fake-device-for-media-stream".into(),
            format!("--use-file-for-fake-video-capture={}", video.display()),
        ],
    );
    camera.page(url, "en");
    camera.click("#scan-start");
    let (verdict, text) = camera.verdict();
    let stopped = camera.script("return document.getElementById('scan-video').hidden;");
    (verdict, text, stopped)
}

#[test]
fn the_auditors_page_checks_documents_in_a_browser() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("chromedriver", "chromium-driver");
    common::tools::need_tool("chromium", "chromium");
    common::tools::need_tool("pdftoppm", "poppler-utils");
    let svc = service();
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("http://{}/verify", svc.addr);
    let docs = documents(&svc, dir.path());
    let number = docs.reference["number"].as_str().expect("number");
    // Any host but this server's resolves to nothing, so the page must work with no outside network.
    let b = Browser::start(
        dir.path(),
        (1000, 1400),
        false,
        &[
            "--host-resolver-rules=MAP qoltanba.test 127.0.0.1, MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
                .into(),
        ],
    );

    // Every control has a label a screen reader reads, and the page's text colours are readable (WCAG 2 AA:
    // contrast 4.5 : 1 at least, verdict banners included).
    b.page(&url, "en");
    let unlabelled = b.script(
        "return [...document.querySelectorAll('input, textarea')].filter(e => e.labels.length === 0).map(e => e.id)\
           .concat([...document.querySelectorAll('button')].filter(e => !e.textContent.trim()).map(e => e.id));",
    );
    assert_eq!(unlabelled, json!([]), "controls without a label");
    let contrast = b.script(CONTRAST);
    for pair in contrast.as_array().expect("contrast pairs") {
        assert!(
            pair["ratio"].as_f64().unwrap_or(0.0) >= 4.5,
            "contrast too low: {pair}"
        );
    }

    // A genuine PDF → valid, the signer, the number and the registry's standing.
    let (verdict, text) = b.check_pdf(&docs.genuine);
    assert!(verdict.starts_with("Valid"), "{verdict}\n{text}");
    assert!(text.contains(number), "{text}");
    assert!(text.contains("Registry status\nvalid"), "{text}");
    assert!(text.contains("✓ shown on the page"), "{text}");
    assert!(!text.contains("✗"), "{text}");
    b.screenshot("valid");

    // The same PDF dropped on the drop zone (a drop event carrying the file, as a desktop sends it).
    b.page(&url, "en");
    let pdf = std::fs::read(&docs.genuine).expect("read");
    b.script_with(
        "const bytes = Uint8Array.from(atob(arguments[0]), (c) => c.charCodeAt(0)); \
         const data = new DataTransfer(); \
         data.items.add(new File([bytes], 'genuine.pdf', { type: 'application/pdf' })); \
         document.getElementById('drop').dispatchEvent(\
           new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));",
        json!([base64::engine::general_purpose::STANDARD.encode(pdf)]),
    );
    let (verdict, text) = b.verdict();
    assert!(verdict.starts_with("Valid"), "{verdict}\n{text}");
    assert!(text.contains(number), "{text}");

    // The same PDF with one digit of the embedded birth date changed → invalid, with the reason, and the altered
    // value beside the signed one.
    b.page(&url, "en");
    let (verdict, text) = b.check_pdf(&docs.tampered);
    assert!(verdict.starts_with("Invalid"), "{verdict}\n{text}");
    assert!(
        text.contains("The document's text differs from the signed content (DOCUMENT_MISMATCH)"),
        "{text}"
    );
    assert!(
        text.contains(&format!("the embedded data says: {}", docs.altered_date)),
        "{text}"
    );
    assert!(text.contains("Date of birth"), "fields in words: {text}");
    b.screenshot("tampered");

    // Barcode text pasted and sent with the keyboard alone, on the Kazakh page: Tab to the text box, type, Tab to
    // its button, Enter.
    b.page(&url, "kk");
    b.script("document.activeElement.blur(); window.scrollTo(0, 0);");
    let barcode: Vec<&str> = docs.reference["seal"]
        .as_array()
        .expect("seal texts")
        .iter()
        .map(|v| v.as_str().expect("text"))
        .collect();
    let mut tabs = 0;
    while b.focused() != json!("code-text") {
        b.press("\u{E004}");
        tabs += 1;
        assert!(tabs < 20, "Tab never reaches the barcode text box");
    }
    b.press(&barcode.join("\n"));
    b.press("\u{E004}");
    assert_eq!(b.focused(), json!("code-submit"));
    b.press("\u{E007}");
    let (verdict, text) = b.verdict();
    assert!(verdict.starts_with("Жарамды"), "{verdict}\n{text}");
    assert!(text.contains(number), "{text}");
    assert_eq!(
        b.focused(),
        json!("verdict"),
        "the verdict takes the focus, so a screen reader reads it"
    );
    b.screenshot("barcode-kk");

    // A suspended licence, in Russian: invalid, by the registry's standing.
    b.page(&url, "ru");
    let (verdict, text) = b.check_pdf(&docs.suspended);
    assert!(verdict.starts_with("Недействителен"), "{verdict}\n{text}");
    assert!(text.contains("приостановлен"), "{text}");
    assert!(
        text.contains("сот шешімі / решение суда"),
        "the reason: {text}"
    );
    assert!(text.contains("(DOCUMENT_STATUS)"), "{text}");
    assert!(
        text.contains("Лицензия на осуществление деятельности частного судебного исполнителя"),
        "the form's name: {text}"
    );
    assert!(text.contains(&docs.suspended_number), "{text}");
    b.screenshot("suspended-ru");

    // A terminated licence's barcode text pasted (English): invalid, terminated, with the reason.
    b.page(&url, "en");
    b.send_keys("#code-text", &docs.terminated_seal.join("\n"));
    b.click("#code-submit");
    let (verdict, text) = b.verdict();
    assert!(verdict.starts_with("Invalid"), "{verdict}\n{text}");
    assert!(text.contains("Registry status\nterminated"), "{text}");
    assert!(text.contains("лицензиаттың өтініші"), "the reason: {text}");
    assert!(text.contains(&docs.terminated_number), "{text}");

    // A re-issued licence's barcode text: invalid, replaced, and by which number.
    b.page(&url, "en");
    b.send_keys("#code-text", &docs.replaced_seal.join("\n"));
    b.click("#code-submit");
    let (verdict, text) = b.verdict();
    assert!(verdict.starts_with("Invalid"), "{verdict}\n{text}");
    assert!(
        text.contains(&format!(
            "Registry status\nreplaced — replaced by {}",
            docs.replacement_number
        )),
        "{text}"
    );

    // The suspended licence from a photo of its page (150 dpi): the barcode read by jsQR in the page.
    b.page(&url, "en");
    b.send_keys(
        "#scan-image",
        &photograph(&docs.suspended, 150).to_string_lossy(),
    );
    let (verdict, text) = b.verdict();
    assert!(verdict.starts_with("Invalid"), "{verdict}\n{text}");
    assert!(text.contains("suspended"), "{text}");
    assert!(text.contains(&docs.suspended_number), "{text}");
    // Everything the page loaded came from this server.
    let origin = format!("http://{}/", svc.addr);
    let loaded = b.script(
        "return [location.href].concat(performance.getEntriesByType('resource').map(e => e.name));",
    );
    let loaded = loaded.as_array().expect("resources");
    assert!(loaded.len() >= 4, "{loaded:?}");
    assert!(
        loaded
            .iter()
            .all(|u| u.as_str().is_some_and(|u| u.starts_with(&origin))),
        "{loaded:?}"
    );

    // Over plain HTTP from another host the browser offers no camera: the button is off and the page says why.
    b.page(
        &format!("http://qoltanba.test:{}/verify", svc.addr.port()),
        "en",
    );
    assert_eq!(
        b.script("return document.getElementById('scan-start').disabled;"),
        json!(true)
    );
    assert!(
        b.text("#scan-status")
            .contains("only on a page opened over HTTPS"),
        "{}",
        b.text("#scan-status")
    );

    // Not a PDF: the server's reason, in the page's words.
    b.page(&url, "en");
    let (verdict, text) = b.check_pdf(&photograph(&docs.genuine, 50));
    assert!(verdict.starts_with("Indeterminate"), "{verdict}\n{text}");
    assert!(text.contains("The check failed: pdf:"), "{text}");
    assert!(text.contains("not a PDF"), "{text}");
    assert!(
        !text.contains("Signed content"),
        "no content to show: {text}"
    );
    drop(b);

    // The camera: Chromium's fake capture device plays the reference's barcode.
    assert_eq!(barcode.len(), 1, "a reference's compact seal is one symbol");
    let (verdict, text, stopped) = scan_with_camera(dir.path(), &url, &barcode);
    assert!(verdict.starts_with("Valid"), "{verdict}\n{text}");
    assert!(text.contains(number), "{text}");
    assert_eq!(
        stopped,
        json!(true),
        "the camera stops once the seal is read"
    );

    // A full seal (the signer's certificate inside) is several symbols: the camera shows them one after another,
    // last part first, and the page collects them.
    let signer = qoltanba::demo_provider_signer().expect("signer");
    let form = "licence.security";
    let issued = qoltanba::issue(
        form,
        &qoltanba::form(form).expect("form").sample(),
        "licence.security-2026-000042",
        time::OffsetDateTime::now_utc().unix_timestamp(),
        Some(qoltanba::Sealing {
            signer: &signer,
            mode: qoltanba::SealMode::Full,
        }),
    )
    .expect("full seal");
    let mut parts: Vec<&str> = issued.seal.iter().map(String::as_str).collect();
    assert!(parts.len() > 1, "a full seal is several symbols");
    parts.reverse();
    let (verdict, text, _) = scan_with_camera(dir.path(), &url, &parts);
    assert!(verdict.starts_with("Valid"), "{verdict}\n{text}");
    assert!(text.contains("licence.security-2026-000042"), "{text}");

    // A phone: 390 CSS pixels wide, nothing wider than the screen.
    let phone = Browser::start(dir.path(), (390, 844), true, &[]);
    phone.page(&url, "kk");
    assert_eq!(phone.script("return window.innerWidth;"), json!(390));
    let (verdict, _) = phone.check_pdf(&docs.genuine);
    assert!(verdict.starts_with("Жарамды"), "{verdict}");
    assert_eq!(
        phone.script("return document.documentElement.scrollWidth <= window.innerWidth;"),
        json!(true),
        "the page is wider than a phone screen"
    );
    phone.script("document.getElementById('result').scrollIntoView();");
    phone.save_screenshot("phone-kk");
    phone.script("document.getElementById('content-heading').scrollIntoView();");
    phone.save_screenshot("phone-kk-content");
}

/// For each element with text, its colour against the first opaque background behind it, as WCAG 2 contrast
/// ratios: `[{id, ratio}]`. The verdict is checked in each of its three kinds.
const CONTRAST: &str = r#"
function rgb(s) { const m = s.match(/[\d.]+/g).map(Number); return { r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1 }; }
function lum(c) { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); }
function background(el) { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.a > 0) { return c; } }
  return { r: 255, g: 255, b: 255, a: 1 }; }
function ratio(el) { const a = lum(rgb(getComputedStyle(el).color)), b = lum(background(el));
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); }
const out = [];
const result = document.getElementById('result');
const hidden = result.hidden;
result.hidden = false;
const verdict = document.getElementById('verdict');
const before = verdict.className;
for (const kind of ['valid', 'invalid', 'indeterminate']) {
  verdict.className = kind; verdict.textContent = kind;
  out.push({ id: 'verdict.' + kind, ratio: ratio(verdict) });
}
verdict.className = before; verdict.textContent = '';
for (const el of document.querySelectorAll('h1, h2, p, label, button, dt, dd, th, td, textarea, input')) {
  if (el === verdict) { continue; }
  out.push({ id: el.id || el.tagName, ratio: ratio(el) });
}
result.hidden = hidden;
return out;
"#;
