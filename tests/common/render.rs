//! Helpers the hermetic and oracle halves share for render.

use qoltanba::{Block, PdfInfo};

const KAZAKH: &str = "ӘәҒғҚқҢңӨөҰұҮүҺһІі";

pub fn info() -> PdfInfo {
    PdfInfo {
        title: "QLT-2026-000001 reference.birth".into(),
        subject: "reference.birth".into(),
        keywords: vec!["QLT-2026-000001".into(), "reference.birth".into()],
        issued_at: qoltanba::UnixTime::from_secs(1_795_000_000),
    }
}

pub fn sample_blocks(paragraphs: usize) -> Vec<Block> {
    let mut blocks = vec![
        Block::Header("Қазақстан Республикасы Әділет министрлігінің Тіркеу қызметі және құқықтық көмек көрсету комитеті".into()),
        Block::Title("АНЫҚТАМА".into()),
        Block::Paragraph(format!("Барлық қазақ әріптері: {KAZAKH}. Справка дана по месту требования.")),
        Block::Field {
            label: "Әкесі:".into(),
            value: "СМИРНОВ ВИТАЛИ".into(),
            caption: Some("(тегі, аты, әкесінің аты)".into()),
        },
        Block::Table {
            columns: vec!["№".into(), "Кадастрлық нөмірі".into(), "Мекенжайы".into()],
            widths: vec![1.0, 3.0, 6.0],
            rows: vec![vec!["1".into(), "01-011-022-333".into(), "Астана қ., Сарыарқа ауданы".into()]],
        },
    ];
    for i in 0..paragraphs {
        blocks.push(Block::Paragraph(format!("{i}. Ұзақ мәтін жолдарды бөлуді тексереді — Длинный текст проверяет перенос строк. ").repeat(6)));
    }
    blocks.push(Block::Seal {
        size: 100.0,
        caption: vec!["*штрих-код ЖМТ МДҚ ақпараттық жүйесінен алынған".into()],
        codes: Vec::new(),
    });
    blocks
}
