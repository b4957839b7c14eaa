//! Text encodings of Windows-born logs (UTF-16 with a BOM, Windows-1252), turned
//! into UTF-8 line by line before anything else looks at the text.
//!
//! Lines are found in the *source* bytes (a UTF-16 newline is two bytes), so file
//! offsets in checkpoints always point at line boundaries of the original file.

use memchr::memchr;

/// A file's text encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (invalid sequences become U+FFFD).
    Utf8,
    /// UTF-16 little endian, as Windows tools write with a `FF FE` BOM.
    Utf16Le,
    /// UTF-16 big endian (`FE FF` BOM).
    Utf16Be,
    /// Windows-1252 ("ANSI" on western Windows).
    Windows1252,
    /// ISO-8859-1.
    Latin1,
}

/// Windows-1252 code points for bytes 0x80..=0x9F (the rest is Latin-1).
const CP1252_HIGH: [u32; 32] = [
    0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
    0x0152, 0x8D, 0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
];

impl Encoding {
    /// Parses a config name (`utf-8`, `utf-16le`, `windows-1252`, `cp1252`, `latin-1`...).
    pub fn from_name(name: &str) -> Option<Encoding> {
        let n = name.to_ascii_lowercase().replace(['_', ' '], "-");
        Some(match n.as_str() {
            "utf-8" | "utf8" => Encoding::Utf8,
            "utf-16le" | "utf-16-le" | "utf16le" | "utf-16" => Encoding::Utf16Le,
            "utf-16be" | "utf-16-be" | "utf16be" => Encoding::Utf16Be,
            "windows-1252" | "cp1252" | "ansi" => Encoding::Windows1252,
            "latin-1" | "latin1" | "iso-8859-1" => Encoding::Latin1,
            _ => return None,
        })
    }

    /// Detects a byte-order mark: the encoding and the BOM's length.
    pub fn detect_bom(head: &[u8]) -> Option<(Encoding, usize)> {
        if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
            Some((Encoding::Utf8, 3))
        } else if head.starts_with(&[0xFF, 0xFE]) {
            Some((Encoding::Utf16Le, 2))
        } else if head.starts_with(&[0xFE, 0xFF]) {
            Some((Encoding::Utf16Be, 2))
        } else {
            None
        }
    }

    /// Length of the BOM this encoding would have at the start of `head`, if present.
    pub fn bom_len(self, head: &[u8]) -> usize {
        match Encoding::detect_bom(head) {
            Some((e, n)) if e == self => n,
            _ => 0,
        }
    }

    /// Size of one code unit: lines end on multiples of it.
    pub fn unit(self) -> usize {
        match self {
            Encoding::Utf16Le | Encoding::Utf16Be => 2,
            _ => 1,
        }
    }

    /// Position just past the first newline in `buf` (which starts on a unit boundary).
    pub fn find_line_end(self, buf: &[u8]) -> Option<usize> {
        match self {
            Encoding::Utf16Le | Encoding::Utf16Be => {
                let le = self == Encoding::Utf16Le;
                let mut from = 0;
                while let Some(p) = memchr(b'\n', &buf[from..]) {
                    let p = from + p;
                    let (unit_start, other) = if le {
                        (p, p + 1)
                    } else {
                        (p.wrapping_sub(1), p.wrapping_sub(1))
                    };
                    if le && p % 2 == 0 && buf.get(other) == Some(&0) {
                        return Some(unit_start + 2);
                    }
                    if !le && p % 2 == 1 && buf.get(other) == Some(&0) {
                        return Some(unit_start + 2);
                    }
                    from = p + 1;
                }
                None
            }
            _ => memchr(b'\n', buf).map(|p| p + 1),
        }
    }

    /// Decodes one line (without its newline) to UTF-8, dropping a trailing `\r`;
    /// the flag says whether anything was replaced by U+FFFD.
    pub fn decode_line(self, bytes: &[u8]) -> (String, bool) {
        let (mut s, lossy) = match self {
            Encoding::Utf8 => match std::str::from_utf8(bytes) {
                Ok(s) => (s.to_string(), false),
                Err(_) => (String::from_utf8_lossy(bytes).into_owned(), true),
            },
            Encoding::Utf16Le | Encoding::Utf16Be => {
                let units = bytes.chunks_exact(2).map(|c| {
                    if self == Encoding::Utf16Le {
                        u16::from_le_bytes([c[0], c[1]])
                    } else {
                        u16::from_be_bytes([c[0], c[1]])
                    }
                });
                let mut lossy = bytes.len() % 2 == 1;
                let s: String = char::decode_utf16(units)
                    .map(|r| {
                        r.unwrap_or_else(|_| {
                            lossy = true;
                            char::REPLACEMENT_CHARACTER
                        })
                    })
                    .collect();
                (s, lossy)
            }
            Encoding::Windows1252 => (
                bytes
                    .iter()
                    .map(|&b| match b {
                        0x80..=0x9F => {
                            char::from_u32(CP1252_HIGH[usize::from(b - 0x80)]).unwrap_or('\u{FFFD}')
                        }
                        _ => char::from(b),
                    })
                    .collect(),
                false,
            ),
            Encoding::Latin1 => (bytes.iter().map(|&b| char::from(b)).collect(), false),
        };
        while s.ends_with('\n') || s.ends_with('\r') {
            s.pop();
        }
        (s, lossy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16le_lines_and_decoding() {
        let text = "héllo\r\nwörld\r\n";
        let mut bytes = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let (enc, bom) = Encoding::detect_bom(&bytes).unwrap();
        assert_eq!((enc, bom), (Encoding::Utf16Le, 2));
        let body = &bytes[bom..];
        let end = enc.find_line_end(body).unwrap();
        assert_eq!(enc.decode_line(&body[..end]).0, "héllo");
        let rest = &body[end..];
        let end2 = enc.find_line_end(rest).unwrap();
        assert_eq!(end2, rest.len());
        assert_eq!(enc.decode_line(&rest[..end2]).0, "wörld");
    }

    #[test]
    fn utf16le_ignores_0a_in_high_byte() {
        // U+0A41 encodes as 41 0A: not a newline.
        let bytes = [0x41, 0x0A, b'\n', 0];
        assert_eq!(Encoding::Utf16Le.find_line_end(&bytes), Some(4));
    }

    #[test]
    fn windows_1252() {
        let (s, _) = Encoding::Windows1252.decode_line(b"caf\xe9 \x80 \x93ok\x94\r\n");
        assert_eq!(s, "café € “ok”");
    }
}
