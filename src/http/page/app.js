// The auditors' page: a PDF, pasted barcode text, or a barcode read by the camera or from a photo (jsQR, built into
// the binary) goes to Qoltanba's own verification API; the verdict, its reasons, the signer and the signed content
// beside what the document holds are shown in Kazakh, Russian or English. No outside network is used.
"use strict";

const TEXT = {
  kk: {
    cameraInsecure: "Камера тек HTTPS арқылы ашылған бетте жұмыс істейді; суретті таңдауға болады",
    scanHeading: "Штрих-кодты сканерлеу", scanStart: "Камерамен сканерлеу", scanStop: "Камераны тоқтату",
    scanImageLabel: "Немесе штрих-кодтың суретін таңдаңыз", scanning: "Камераны штрих-кодқа бағыттаңыз",
    partRead: "{n} бөліктің {k}-і оқылды", noCode: "Суреттен штрих-код табылмады", notSeal: "Бұл Qoltanba штрих-коды емес",
    cameraError: "Камера қолжетімсіз", colField: "Өріс", colSigned: "Қол қойылған мән", colDocument: "Құжатта",
    printedYes: "✓ бетте көрсетілген", printedNo: "✗ бетте көрсетілмеген", embeddedSays: "ішіне салынған деректерде:",
    embeddedMissing: "ішіне салынған деректерде жоқ",
    title: "Құжатты тексеру",
    intro: "Qoltanba берген құжаттың электрондық цифрлық қолтаңбасы мен штрих-кодын тексеріңіз: PDF файлын таңдаңыз немесе штрих-код мәтінін енгізіңіз.",
    pdfHeading: "PDF құжат", pdfLabel: "PDF файлын таңдаңыз немесе осында сүйреңіз", pdfSubmit: "PDF тексеру",
    codeHeading: "Штрих-код мәтіні", codeLabel: "Штрих-код мәтіні (әр бөлігі жаңа жолда)", codeSubmit: "Штрих-кодты тексеру",
    resultHeading: "Нәтиже", contentHeading: "Қол қойылған мазмұн",
    valid: "Жарамды: қолтаңба расталды", invalid: "Жарамсыз", indeterminate: "Анықталмады: тексеру аяқталмады",
    signer: "Қол қойған", id: "ЖСН / БСН", role: "Рөлі", org: "Ұйым", issued: "Берілген уақыты",
    number: "Құжат нөмірі", form: "Нысан", registry: "Тізілімдегі мәртебесі", replacedBy: "ауыстырылды:",
    status: { valid: "жарамды", suspended: "тоқтатыла тұрған", terminated: "тоқтатылған", replaced: "қайта ресімделген" },
    error: "Тексеру мүмкін болмады", choose: "Алдымен PDF файлын таңдаңыз", footer: "Тексеру осы сервердің өзінде жүргізіледі; құжат сақталмайды.",
    issuer: "Берген ұйым", note: "Ескерту", demo: "Демонстрациялық құжат: жарияланған демо-кілтпен мөрленген",
    file: "Файл", fileWhole: "Берушінің қолтаңбасы бүкіл файлды қамтиды", fileAppended: "Қол қойылғаннан кейін файлға қосылған:",
    fileInvalid: "Файлдың қолтаңбасы жарамсыз", fileAbsent: "Файлда қолтаңба жоқ",
  },
  ru: {
    cameraInsecure: "Камера работает только на странице, открытой по HTTPS; можно выбрать фото",
    scanHeading: "Сканирование штрих-кода", scanStart: "Сканировать камерой", scanStop: "Остановить камеру",
    scanImageLabel: "Или выберите фото штрих-кода", scanning: "Наведите камеру на штрих-код",
    partRead: "Прочитана часть {k} из {n}", noCode: "На изображении штрих-код не найден", notSeal: "Это не штрих-код Qoltanba",
    cameraError: "Камера недоступна", colField: "Поле", colSigned: "Подписанное значение", colDocument: "В документе",
    printedYes: "✓ показано на странице", printedNo: "✗ не показано на странице", embeddedSays: "во вложенных данных:",
    embeddedMissing: "нет во вложенных данных",
    title: "Проверка документа",
    intro: "Проверьте электронную цифровую подпись и штрих-код документа, выданного Qoltanba: выберите PDF-файл или введите текст штрих-кода.",
    pdfHeading: "PDF-документ", pdfLabel: "Выберите PDF-файл или перетащите его сюда", pdfSubmit: "Проверить PDF",
    codeHeading: "Текст штрих-кода", codeLabel: "Текст штрих-кода (каждая часть с новой строки)", codeSubmit: "Проверить штрих-код",
    resultHeading: "Результат", contentHeading: "Подписанное содержимое",
    valid: "Действителен: подпись подтверждена", invalid: "Недействителен", indeterminate: "Не определено: проверка не завершена",
    signer: "Подписал", id: "ИИН / БИН", role: "Роль", org: "Организация", issued: "Время выдачи",
    number: "Номер документа", form: "Форма", registry: "Статус в реестре", replacedBy: "заменён:",
    status: { valid: "действует", suspended: "приостановлен", terminated: "прекращён", replaced: "переоформлен" },
    error: "Проверить не удалось", choose: "Сначала выберите PDF-файл", footer: "Проверка выполняется на этом сервере; документ не сохраняется.",
    issuer: "Выдавшая организация", note: "Примечание", demo: "Демонстрационный документ: опечатан опубликованным демо-ключом",
    file: "Файл", fileWhole: "Подпись выдавшего охватывает весь файл", fileAppended: "Добавлено в файл после подписания:",
    fileInvalid: "Подпись файла недействительна", fileAbsent: "Файл не подписан",
  },
  en: {
    cameraInsecure: "The camera works only on a page opened over HTTPS; a photo can be chosen instead",
    scanHeading: "Scan the barcode", scanStart: "Scan with the camera", scanStop: "Stop the camera",
    scanImageLabel: "Or choose a photo of the barcode", scanning: "Point the camera at the barcode",
    partRead: "Part {k} of {n} read", noCode: "No barcode found in the image", notSeal: "This is not a Qoltanba barcode",
    cameraError: "The camera is not available", colField: "Field", colSigned: "Signed value", colDocument: "In the document",
    printedYes: "✓ shown on the page", printedNo: "✗ not shown on the page", embeddedSays: "the embedded data says:",
    embeddedMissing: "missing from the embedded data",
    title: "Check a document",
    intro: "Check the electronic digital signature and barcode of a document issued by Qoltanba: choose its PDF or enter the barcode text.",
    pdfHeading: "PDF document", pdfLabel: "Choose a PDF file or drop it here", pdfSubmit: "Check the PDF",
    codeHeading: "Barcode text", codeLabel: "Barcode text (each part on its own line)", codeSubmit: "Check the barcode",
    resultHeading: "Result", contentHeading: "Signed content",
    valid: "Valid: the signature is confirmed", invalid: "Invalid", indeterminate: "Indeterminate: the check could not be completed",
    signer: "Signed by", id: "IIN / BIN", role: "Role", org: "Organisation", issued: "Issued at",
    number: "Document number", form: "Form", registry: "Registry status", replacedBy: "replaced by",
    status: { valid: "valid", suspended: "suspended", terminated: "terminated", replaced: "replaced" },
    error: "The check failed", choose: "Choose a PDF file first", footer: "The check runs on this server; the document is not stored.",
    issuer: "Issuer", note: "Note", demo: "A demonstration document: sealed with the published demo key",
    file: "File", fileWhole: "The issuer's signature covers the whole file", fileAppended: "Added to the file after signing:",
    fileInvalid: "The file's signature does not verify", fileAbsent: "The file is not signed",
  },
};

const REASONS = {
  MALFORMED: ["Деректер оқылмады", "Данные не читаются", "The input cannot be decoded"],
  CHAIN_UNTRUSTED: ["Сенімді куәландырушы орталыққа жол жоқ", "Нет пути к доверенному удостоверяющему центру", "No path to a trusted certification authority"],
  CERT_SIGNATURE_INVALID: ["Тіркеу куәлігінің қолтаңбасы жарамсыз", "Подпись регистрационного свидетельства недействительна", "A certificate's signature does not verify"],
  CERT_EXPIRED: ["Тіркеу куәлігінің мерзімі өткен", "Срок действия регистрационного свидетельства истёк", "A certificate has expired"],
  CERT_NOT_YET_VALID: ["Тіркеу куәлігі әлі күшіне енбеген", "Регистрационное свидетельство ещё не действует", "A certificate is not yet valid"],
  CERT_REVOKED: ["Тіркеу куәлігі кері қайтарылған", "Регистрационное свидетельство отозвано", "A certificate is revoked"],
  REVOCATION_UNKNOWN: ["Кері қайтарылу мәртебесі белгісіз", "Статус отзыва неизвестен", "Revocation status unknown"],
  CA_CONSTRAINTS: ["Куәландырушы орталық шектеулері бұзылған", "Нарушены ограничения удостоверяющего центра", "CA constraints violated"],
  KEY_USAGE: ["Кілт қол қою үшін емес", "Ключ не предназначен для подписи", "The key may not be used for this"],
  UNSUPPORTED_ALGORITHM: ["Алгоритм қолдау көрсетілмейді", "Алгоритм не поддерживается", "Unsupported algorithm"],
  UNSUPPORTED_CRITICAL_EXTENSION: ["Белгісіз маңызды кеңейту", "Неизвестное критическое расширение", "Unknown critical extension"],
  IIN_MISMATCH: ["ЖСН сәйкес келмейді", "ИИН не совпадает", "IIN mismatch"],
  BIN_MISMATCH: ["БСН сәйкес келмейді", "БИН не совпадает", "BIN mismatch"],
  IDENTITY_ABSENT: ["Сәйкестендіру деректері жоқ", "Нет идентификационных данных", "Identity absent"],
  SIGNATURE_INVALID: ["Қолтаңба жарамсыз немесе мазмұн өзгертілген", "Подпись недействительна или содержимое изменено", "The signature does not verify or the content was altered"],
  DOCUMENT_MISMATCH: ["Құжаттағы мәтін қол қойылған мазмұнмен сәйкес емес", "Текст документа не совпадает с подписанным содержимым", "The document's text differs from the signed content"],
  DOCUMENT_STATUS: ["Тізілім бойынша құжат жарамсыз", "По реестру документ недействителен", "The registry says the document is not in force"],
  SIGNATURE_SCOPE: ["Қолтаңба оқылатын мазмұнды қамтымайды", "Подпись не охватывает читаемое содержимое", "The signature does not cover what is read"],
  SIGNER_NOT_AUTHORISED: ["Қол қойған адам бұл құжатты беруге уәкілетті емес", "Подписавший не уполномочен выдавать этот документ", "The signer may not issue this document"],
  REVOKED_NO_POE: ["Қол қойған кілт кейін кері қайтарылды, ал қол қою уақыты дәлелденбеген", "Ключ подписавшего позже отозван, а время подписания не доказано", "The signer's key was revoked later and the signing time is not proven"],
  NAME_MISMATCH: ["Аты-жөні тіркеу куәлігімен сәйкес емес", "Имя не совпадает с регистрационным свидетельством", "The name differs from the certificate's"],
};

// The forms' field names in words (kk, ru, en), for the signed-content table; a name missing here is shown as it
// is. `tests/http.rs` checks every template field has an entry.
const FIELDS = {
  person: ["Тұлға (Т.А.Ә.)", "Лицо (Ф.И.О.)", "Person (full name)"],
  iin: ["ЖСН", "ИИН", "IIN"],
  result_kk: ["Нәтижесі (қазақша)", "Результат (на казахском)", "Result (Kazakh)"],
  result_ru: ["Нәтижесі (орысша)", "Результат (на русском)", "Result (Russian)"],
  commission: ["Аттестаттау комиссиясы", "Аттестационная комиссия", "Attestation commission"],
  attestation_date: ["Аттестаттау күні", "Дата аттестации", "Attestation date"],
  head: ["Басшы", "Руководитель", "Head"],
  licensee: ["Лицензиат", "Лицензиат", "Licensee"],
  licensee_id: ["Лицензиаттың ЖСН / БСН", "ИИН / БИН лицензиата", "Licensee's IIN / BIN"],
  special_conditions: ["Ерекше шарттар", "Особые условия", "Special conditions"],
  note: ["Ескерту", "Примечание", "Note"],
  licensor: ["Лицензиар", "Лицензиар", "Licensor"],
  first_issue_date: ["Алғаш берілген күні", "Дата первичной выдачи", "Date of first issue"],
  validity: ["Жарамдылық мерзімі", "Срок действия", "Validity"],
  place: ["Берілген орны", "Место выдачи", "Place of issue"],
  venue: ["Өтетін орны", "Место проведения", "Venue"],
  attestation_time: ["Аттестаттау уақыты", "Время аттестации", "Attestation time"],
  partner: ["Некеге тұратын тұлға", "Лицо, вступающее в брак", "Person to marry"],
  registration_date: ["Некені тіркеу күні", "Дата регистрации брака", "Registration date"],
  registration_time: ["Некені тіркеу уақыты", "Время регистрации брака", "Registration time"],
  duplicate: ["Телнұсқа белгісі", "Отметка о дубликате", "Duplicate mark"],
  attachments: ["Қоса берілген құжаттар", "Приложенные документы", "Attachments"],
  service_kk: ["Сұралған құжат (қазақша)", "Запрошенный документ (на казахском)", "Requested document (Kazakh)"],
  service_ru: ["Сұралған құжат (орысша)", "Запрошенный документ (на русском)", "Requested document (Russian)"],
  application_date: ["Өтініш берілген күні", "Дата заявления", "Application date"],
  request_number: ["Сұрау нөмірі", "Номер запроса", "Request number"],
  service_name_kk: ["Қызмет атауы (қазақша)", "Наименование услуги (на казахском)", "Service name (Kazakh)"],
  service_name_ru: ["Қызмет атауы (орысша)", "Наименование услуги (на русском)", "Service name (Russian)"],
  body_kk: ["Аумақтық әділет органы (қазақша)", "Территориальный орган юстиции (на казахском)", "Territorial justice body (Kazakh)"],
  body_ru: ["Аумақтық әділет органы (орысша)", "Территориальный орган юстиции (на русском)", "Territorial justice body (Russian)"],
  issuer_kk: ["Берген АХАЖ органы (қазақша)", "Выдавший орган ЗАГС (на казахском)", "Issuing civil-registry office (Kazakh)"],
  issuer_ru: ["Берген АХАЖ органы (орысша)", "Выдавший орган ЗАГС (на русском)", "Issuing civil-registry office (Russian)"],
  birth_date: ["Туған күні", "Дата рождения", "Date of birth"],
  record_date: ["Акт жазбасының күні", "Дата актовой записи", "Act record date"],
  record_number: ["Акт жазбасының нөмірі", "Номер актовой записи", "Act record number"],
  father: ["Әкесі", "Отец", "Father"],
  mother: ["Шешесі", "Мать", "Mother"],
  birth_place_kk: ["Туған жері (қазақша)", "Место рождения (на казахском)", "Place of birth (Kazakh)"],
  birth_place_ru: ["Туған жері (орысша)", "Место рождения (на русском)", "Place of birth (Russian)"],
  husband: ["Күйеуі", "Муж", "Husband"],
  husband_birth_date: ["Күйеуінің туған күні", "Дата рождения мужа", "Husband's date of birth"],
  wife: ["Әйелі", "Жена", "Wife"],
  wife_birth_date: ["Әйелінің туған күні", "Дата рождения жены", "Wife's date of birth"],
  husband_surname_after: ["Күйеуіне берілген тегі", "Фамилия, присвоенная мужу", "Surname given to the husband"],
  wife_surname_after: ["Әйеліне берілген тегі", "Фамилия, присвоенная жене", "Surname given to the wife"],
  id_document: ["Жеке басын куәландыратын құжат", "Документ, удостоверяющий личность", "Identity document"],
  id_details: ["Құжаттың нөмірі, берілген күні, берген орган", "Номер документа, дата выдачи, кем выдан", "Document number, date of issue, issuer"],
  entities: ["Тұлға қатысатын заңды тұлғалар", "Юридические лица с участием лица", "Legal entities the person takes part in"],
  recipient: ["Кімге берілді", "Кому выдана", "Issued to"],
  name: ["Заңды тұлғаның атауы", "Наименование юридического лица", "Legal entity's name"],
  last_registration: ["Соңғы (қайта) тіркелген күні мен нөмірі", "Дата и номер последней (пере)регистрации", "Last (re-)registration"],
  bin: ["БСН", "БИН", "BIN"],
  rnn: ["СТН", "РНН", "Taxpayer number (RNN)"],
  okpo: ["КҰЖЖ коды", "Код ОКПО", "OKPO code"],
  branches: ["Филиалдар мен өкілдіктер", "Филиалы и представительства", "Branches and representative offices"],
  registering_body: ["Тіркеуші орган", "Регистрирующий орган", "Registering body"],
  first_registration: ["Алғашқы тіркелген күні", "Дата первичной регистрации", "Initial registration date"],
  founders: ["Құрылтайшылар", "Учредители", "Founders"],
  activity: ["Қызмет түрі", "Вид деятельности", "Type of activity"],
  address: ["Заңды мекенжайы", "Юридический адрес", "Legal address"],
  participation: ["Басқа заңды тұлғаларға қатысуы", "Участие в других юридических лицах", "Participation in other legal entities"],
  registration_type: ["Тіркеу түрі", "Вид регистрации", "Registration type"],
  surname_before: ["Бұрынғы тегі", "Фамилия до перемены", "Surname before"],
  surname_after: ["Жаңа тегі", "Фамилия после перемены", "Surname after"],
  name_before: ["Бұрынғы аты", "Имя до перемены", "Name before"],
  name_after: ["Жаңа аты", "Имя после перемены", "Name after"],
  patronymic_before: ["Бұрынғы әкесінің аты", "Отчество до перемены", "Patronymic before"],
  patronymic_after: ["Жаңа әкесінің аты", "Отчество после перемены", "Patronymic after"],
  authority: ["Анықтама берген орган", "Орган, выдавший справку", "Issuing authority"],
  registered: ["Тіркелген жылжымайтын мүлік", "Зарегистрированная недвижимость", "Registered real estate"],
  previous: ["Бұрын тіркелген жылжымайтын мүлік", "Ранее зарегистрированная недвижимость", "Previously registered real estate"],
  objects: ["Жылжымайтын мүлік объектілері", "Объекты недвижимости", "Real-estate objects"],
  rights: ["Тіркелген құқықтар", "Зарегистрированные права", "Registered rights"],
  encumbrances: ["Тіркелген ауыртпалықтар", "Зарегистрированные обременения", "Registered encumbrances"],
  claims: ["Талаптар мен мәмілелер", "Притязания и сделки", "Claims and transactions"],
  addressee: ["Алушы", "Адресат", "Addressee"],
  application_number: ["Өтініш нөмірі", "Номер заявления", "Application number"],
  reason: ["Бас тарту себебі", "Причина отказа", "Reason for refusal"],
  reason_codes: ["Себеп кодтары", "Коды причин", "Reason codes"],
  signer_position: ["Қол қойған адамның лауазымы", "Должность подписавшего", "Signer's position"],
  signer_name: ["Қол қойған адамның Т.А.Ә.", "Ф.И.О. подписавшего", "Signer's full name"],
};

let lang = "kk";
let last = null;

function t(key) { return TEXT[lang][key]; }

function setText(id, key) { document.getElementById(id).textContent = t(key); }

function applyLanguage() {
  document.documentElement.lang = lang;
  for (const [id, key] of [["title", "title"], ["intro", "intro"], ["pdf-heading", "pdfHeading"], ["pdf-label", "pdfLabel"],
    ["pdf-submit", "pdfSubmit"], ["code-heading", "codeHeading"], ["code-label", "codeLabel"], ["code-submit", "codeSubmit"],
    ["result-heading", "resultHeading"], ["content-heading", "contentHeading"], ["footer", "footer"],
    ["scan-heading", "scanHeading"], ["scan-start", "scanStart"], ["scan-stop", "scanStop"],
    ["scan-image-label", "scanImageLabel"], ["col-field", "colField"], ["col-signed", "colSigned"],
    ["col-document", "colDocument"]]) {
    setText(id, key);
  }
  document.title = "Qoltanba — " + t("title");
  if (document.getElementById("scan-start").disabled) { say(t("cameraInsecure")); }
  for (const b of document.querySelectorAll("nav button")) {
    b.setAttribute("aria-pressed", String(b.dataset.lang === lang));
  }
  if (last) { show(last); }
}

// An RFC 3339 time as Kazakhstan reads it: day.month.year hours:minutes:seconds in UTC+5 (the country's one
// time zone), whatever the browser's zone.
function astanaTime(rfc3339) {
  const at = Date.parse(rfc3339 || "");
  if (Number.isNaN(at)) { return rfc3339; }
  const d = new Date(at + 5 * 3600 * 1000);
  const two = (n) => String(n).padStart(2, "0");
  return two(d.getUTCDate()) + "." + two(d.getUTCMonth() + 1) + "." + d.getUTCFullYear() + " " +
    two(d.getUTCHours()) + ":" + two(d.getUTCMinutes()) + ":" + two(d.getUTCSeconds()) + " (UTC+5)";
}

function row(dl, label, value) {
  if (value === undefined || value === null || value === "") { return; }
  const dt = document.createElement("dt");
  dt.textContent = label;
  const dd = document.createElement("dd");
  dd.textContent = value;
  dl.append(dt, dd);
}

function show(report) {
  last = report;
  const result = document.getElementById("result");
  result.hidden = false;
  const verdict = document.getElementById("verdict");
  const kind = report.valid ? "valid" : (report.indication === "INDETERMINATE" ? "indeterminate" : "invalid");
  verdict.className = kind;
  verdict.textContent = t(kind);
  const index = { kk: 0, ru: 1, en: 2 }[lang];
  const reasons = document.getElementById("reasons");
  reasons.replaceChildren();
  for (const code of report.codes || []) {
    const li = document.createElement("li");
    li.textContent = (REASONS[code] ? REASONS[code][index] : code) + " (" + code + ")";
    reasons.append(li);
  }
  const dl = document.getElementById("details");
  dl.replaceChildren();
  const s = report.subject || {};
  const p = s.profile || {};
  row(dl, t("signer"), [s.commonName, p.patronymic].filter(Boolean).join(" "));
  row(dl, t("id"), [s.iin, s.bin].filter(Boolean).join(" / "));
  row(dl, t("role"), s.roleNames ? s.roleNames[lang] : s.role);
  row(dl, t("org"), p.organization);
  const c = report.content || {};
  row(dl, t("number"), c.number);
  const names = c.formName || {};
  row(dl, t("form"), names[lang] ? names[lang] + " (" + c.form + ")" : [names.ru, c.form].filter(Boolean).join(" — "));
  row(dl, t("issued"), astanaTime(report.issued));
  row(dl, t("issuer"), report.provider);
  if (report.demo) { row(dl, t("note"), t("demo")); }
  if (report.file) {
    const f = report.file;
    let text = f.signature === "valid" ? (f.coversWholeFile ? t("fileWhole") : "")
      : (f.signature === "invalid" ? t("fileInvalid") : t("fileAbsent"));
    if (f.appended && f.appended.length) { text += (text ? "\n" : "") + t("fileAppended") + "\n" + f.appended.join("\n"); }
    row(dl, t("file"), text);
  }
  if (report.registry) {
    let status = t("status")[report.registry.status] || report.registry.status;
    if (report.registry.replacedBy) { status += " — " + t("replacedBy") + " " + report.registry.replacedBy; }
    // Why and since when it is not in force: the latest lifecycle event the registry holds.
    const events = report.registry.events || [];
    const latest = events[events.length - 1];
    if (report.registry.status !== "valid" && latest) {
      status += "\n" + astanaTime(latest.at) + (latest.reason ? ": " + latest.reason : "");
    }
    row(dl, t("registry"), status);
  }
  showContent(report, c);
  verdict.focus();
}

// A field's name in the page's language, or the name itself.
function fieldLabel(name) {
  const words = Object.prototype.hasOwnProperty.call(FIELDS, name) ? FIELDS[name] : null;
  return words ? words[{ kk: 0, ru: 1, en: 2 }[lang]] : name;
}

function cell(tag, text) {
  const el = document.createElement(tag);
  el.textContent = text;
  return el;
}

// A data cell that names its column, for the stacked layout of narrow screens.
function labelled(column, text) {
  const td = cell("td", text);
  td.dataset.label = column;
  return td;
}

// The signed content; for a PDF, beside each value what the document holds and shows (report.fields).
function showContent(report, c) {
  const body = document.querySelector("#content tbody");
  body.replaceChildren();
  fillContent(report, c, body);
  // Nothing signed to show (the input could not be read): no empty table.
  document.getElementById("content").hidden = body.children.length === 0;
  document.getElementById("content-heading").hidden = body.children.length === 0;
}

function fillContent(report, c, body) {
  const fromDocument = Array.isArray(report.fields) && report.fields.length > 0;
  document.getElementById("col-document").hidden = !fromDocument;
  if (fromDocument) {
    for (const f of report.fields) {
      const tr = document.createElement("tr");
      const notes = [f.printed ? t("printedYes") : t("printedNo")];
      if (f.embedded !== undefined) { notes.push(t("embeddedSays") + " " + f.embedded); }
      if (f.embeddedMissing) { notes.push(t("embeddedMissing")); }
      if (!f.printed || f.embedded !== undefined || f.embeddedMissing) { tr.className = "differs"; }
      const th = cell("th", f.name === "number" ? t("number") : fieldLabel(f.name));
      th.scope = "row";
      th.title = f.name;
      tr.append(th, labelled(t("colSigned"), f.signed), labelled(t("colDocument"), notes.join("\n")));
      body.append(tr);
    }
    return;
  }
  let data = {};
  try { data = typeof c.data === "string" ? JSON.parse(c.data) : (c.data || {}); } catch (_) { data = {}; }
  for (const [k, v] of Object.entries(data)) {
    const tr = document.createElement("tr");
    const th = cell("th", fieldLabel(k));
    th.scope = "row";
    th.title = k;
    const text = Array.isArray(v) ? v.map((r) => (Array.isArray(r) ? r.join(" | ") : String(r))).join("\n") : String(v);
    tr.append(th, labelled(t("colSigned"), text));
    body.append(tr);
  }
}

function fail(message) {
  show({ valid: false, indication: "INDETERMINATE", codes: [], subject: null });
  const li = document.createElement("li");
  li.textContent = t("error") + ": " + message;
  document.getElementById("reasons").append(li);
}

async function post(path, type, body) {
  const response = await fetch(path, { method: "POST", headers: { "Content-Type": type }, body });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) { throw new Error(json.detail || json.title || String(response.status)); }
  return json;
}

async function checkPdf(file) {
  try { show(await post("/v1/verify/document", "application/pdf", await file.arrayBuffer())); }
  catch (e) { fail(e.message); }
}

// Barcode reading. A seal is one symbol ("QLT1:...") or parts ("QLT1P:k/n:ID:..."), read in any order; once
// every part of one seal is in, the texts go to the verification API as if pasted.
const parts = new Map();
let partsId = null;
let stream = null;
let timer = null;
let canvas = null; // one drawing surface for every frame, rather than one a frame

function say(text) { document.getElementById("scan-status").textContent = text; }

function checkCode(texts) {
  document.getElementById("code-text").value = texts.join("\n");
  return post("/v1/verify/seal", "application/json", JSON.stringify({ barcode: texts })).then(show, (e) => fail(e.message));
}

// Takes one decoded text; returns true when a whole seal went to the check.
function take(text) {
  const whole = /^QLT1:/.test(text);
  const part = /^QLT1P:(\d+)\/(\d+):([0-9A-F]+):/.exec(text);
  if (whole) {
    parts.clear();
    say("");
    checkCode([text]);
    return true;
  }
  if (!part) { say(t("notSeal")); return false; }
  const [k, n, id] = [Number(part[1]), Number(part[2]), part[3]];
  if (id !== partsId) { parts.clear(); partsId = id; }
  parts.set(k, text);
  say(t("partRead").replace("{k}", String(k)).replace("{n}", String(n)));
  if (parts.size < n) { return false; }
  const texts = [...parts.keys()].sort((a, b) => a - b).map((key) => parts.get(key));
  parts.clear();
  partsId = null;
  checkCode(texts);
  return true;
}

// Decodes a QR symbol from an image or video frame drawn at `scale` (nearest neighbour, so modules stay sharp).
function decode(source, width, height, scale = 1, smooth = false) {
  if (typeof jsQR !== "function" || !width || !height) { return null; }
  canvas = canvas || document.createElement("canvas");
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  [width, height] = [canvas.width, canvas.height];
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.imageSmoothingEnabled = smooth;
  ctx.drawImage(source, 0, 0, width, height);
  const found = jsQR(ctx.getImageData(0, 0, width, height).data, width, height, { inversionAttempts: "attemptBoth" });
  return found ? found.data : null;
}

function stopCamera() {
  if (timer) { clearTimeout(timer); timer = null; }
  if (stream) { for (const track of stream.getTracks()) { track.stop(); } stream = null; }
  const video = document.getElementById("scan-video");
  video.srcObject = null;
  video.hidden = true;
  document.getElementById("scan-stop").hidden = true;
  document.getElementById("scan-start").hidden = false;
}

async function startCamera() {
  const video = document.getElementById("scan-video");
  try {
    // 1280 × 720 if the camera has it: a licence's symbol (93 modules) then gets several pixels a module at arm's
    // length, where the browsers' default 640 × 480 gives barely three.
    stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: "environment", width: { ideal: 1280 }, height: { ideal: 720 } },
      audio: false,
    });
  } catch (e) {
    say(t("cameraError") + (e && e.name ? " (" + e.name + ")" : ""));
    return;
  }
  video.srcObject = stream;
  video.hidden = false;
  document.getElementById("scan-start").hidden = true;
  document.getElementById("scan-stop").hidden = false;
  document.getElementById("scan-stop").focus();
  say(t("scanning"));
  await video.play().catch(() => {});
  let lastText = null;
  const tick = () => {
    timer = null;
    if (!stream) { return; }
    const text = decode(video, video.videoWidth, video.videoHeight);
    if (text && text !== lastText) {
      lastText = text;
      if (take(text)) { stopCamera(); return; }
    }
    timer = setTimeout(tick, 150);
  };
  tick();
}

async function scanImage(file) {
  try {
    const bitmap = await createImageBitmap(file);
    // jsQR misses symbols whose modules are only a few blurred pixels wide (a page scanned or photographed at
    // 100-150 dpi), and which enlargement brings them back depends on how the modules fall on the pixels: such
    // images are tried again at several enlargements (up to 4000 pixels a side); very large photos are tried
    // reduced first, which is faster and as good.
    const side = Math.max(bitmap.width, bitmap.height);
    // Some module grids survive no sharp enlargement: they are tried again smoothed, which evens their edges.
    const sharp = side > 3000 ? [2000 / side, 1] : [1, 1.5, 2, 1.25, 1.75, 2.25].filter((k) => k === 1 || side * k <= 4000);
    const smoothed = side > 3000 ? [] : [1.5, 2, 2.5].filter((k) => side * k <= 4000);
    const attempts = sharp.map((k) => [k, false]).concat(smoothed.map((k) => [k, true]));
    let text = null;
    for (const [scale, smooth] of attempts) {
      text = decode(bitmap, bitmap.width, bitmap.height, scale, smooth);
      if (text) { break; }
    }
    if (text) { take(text); } else { say(t("noCode")); }
  } catch (e) {
    say(t("noCode"));
  }
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("verdict").tabIndex = -1;
  for (const b of document.querySelectorAll("nav button")) {
    b.addEventListener("click", () => { lang = b.dataset.lang; applyLanguage(); });
  }
  document.getElementById("pdf-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const file = document.getElementById("pdf-file").files[0];
    if (!file) { fail(t("choose")); return; }
    checkPdf(file);
  });
  document.getElementById("code-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    // One text a line: Space is a Base45 digit, so a line is never split at spaces and keeps its trailing ones.
    const parts = document.getElementById("code-text").value.split(/\r?\n/).filter((line) => line.trim() !== "");
    try { show(await post("/v1/verify/seal", "application/json", JSON.stringify({ barcode: parts }))); }
    catch (e) { fail(e.message); }
  });
  // Browsers offer the camera only on a secure origin (HTTPS or localhost): say so rather than fail on click.
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    document.getElementById("scan-start").disabled = true; // applyLanguage says why
  }
  document.getElementById("scan-start").addEventListener("click", startCamera);
  document.getElementById("scan-stop").addEventListener("click", () => { stopCamera(); say(""); });
  document.getElementById("scan-image").addEventListener("change", (ev) => {
    if (ev.target.files[0]) { scanImage(ev.target.files[0]); }
  });
  const drop = document.getElementById("drop");
  drop.addEventListener("dragover", (ev) => { ev.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (ev) => {
    ev.preventDefault();
    drop.classList.remove("over");
    if (ev.dataTransfer.files[0]) { checkPdf(ev.dataTransfer.files[0]); }
  });
  applyLanguage();
});
