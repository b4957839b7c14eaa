//! Reading a segment's stored documents in store order, without tantivy's per-document work.
//!
//! A scan (a bare `22`, a `rex`, a phrase checked on its candidates) wants the text of most
//! events of a segment, and most of them are then dropped. tantivy's `StoreReader::iter`
//! deserialises every document into owned values first, wanted or not — a third of a scan's
//! time. [`SegmentStore`] walks the store file's zstd blocks itself, block after block (they
//! lie back to back and each zstd frame says where it ends), and hands each document out as a
//! [`DocView`] over the decompressed block: `_raw` is read in place, and the values are decoded
//! ([`DocView::decode`]) only for the documents that become rows.
//!
//! It knows the layout of tantivy 0.27 (doc store version 2, zstd blocks, the binary document
//! format); a store in any other layout opens as `None` and callers use tantivy's own reader.
//! A test reads every document both ways and compares them, so an upgrade that changes the
//! layout fails there first.
//!
//! ```ignore
//! if let Some(store) = SegmentStore::open(&bucket.dir, searcher.segment_reader(0))? {
//!     store.for_each(|doc_id, view| {
//!         let text = view.text(fields.raw).unwrap_or_default();
//!         Ok::<_, DocStoreError>(())
//!     })?;
//! }
//! ```

use std::net::Ipv6Addr;
use std::os::unix::fs::FileExt;
use std::path::Path;
use tantivy::schema::{Field, OwnedValue};
use tantivy::DateTime;

/// Why a store could not be read; the caller's search fails with it (the data is damaged).
#[derive(Debug, thiserror::Error)]
pub enum DocStoreError {
    #[error("doc store: {0}")]
    Io(#[from] std::io::Error),
    #[error("doc store damaged: {0}")]
    Corrupt(&'static str),
}

/// The footer tantivy writes at the end of a store file: version, offset of the skip index,
/// compressor id, 15 reserved bytes.
const FOOTER_BYTES: usize = 28;
const DIRECTORY_FOOTER_MAGIC: u32 = 1337;
const DOC_STORE_VERSION: u32 = 2;
const ZSTD_COMPRESSOR_ID: u8 = 4;

/// Bytes read from the file at once: several compressed blocks (512 KiB of text compress to
/// about 150 KiB), read with one `pread` into the same buffer each time the walk runs past
/// them (as the bucket's directory reads stores: through the page cache, never mapped).
const READ_WINDOW: usize = 2 << 20;

/// A decompressed block larger than this is taken for damage, not allocated.
const MAX_BLOCK_BYTES: usize = 1 << 30;

/// Nesting of arrays and objects accepted in a stored value (JSON events are never this deep;
/// damaged bytes must not recurse without end).
const MAX_DEPTH: usize = 64;

/// One segment's doc store, opened for a walk in store order.
pub struct SegmentStore {
    file: std::fs::File,
    /// End of the blocks (where the skip index begins).
    blocks_end: usize,
    /// Bytes read at once ([`READ_WINDOW`]; small in tests, to cross every edge).
    window: usize,
}

impl SegmentStore {
    /// Opens the store of `segment`, in the index directory `dir`; `None` when its layout is
    /// not the one this module reads, or when the file is gone (a merge replaced the segment
    /// after the searcher opened it; the searcher's own handle still reads it).
    pub fn open(
        dir: &Path,
        segment: &tantivy::SegmentReader,
    ) -> Result<Option<SegmentStore>, DocStoreError> {
        let path = dir.join(format!("{}.store", segment.segment_id().uuid_string()));
        let named =
            |e: std::io::Error| std::io::Error::new(e.kind(), format!("{}: {e}", path.display()));
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            // Merged away since the searcher opened it: tantivy's reader still holds it open.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(named(e).into()),
        };
        let file_len = file.metadata().map_err(named)?.len() as usize;
        // tantivy's directory ends every file with a JSON footer, its length and a magic number.
        let mut tail = [0u8; 8];
        if file_len < tail.len() {
            return Ok(None);
        }
        file.read_exact_at(&mut tail, (file_len - 8) as u64)
            .map_err(named)?;
        let payload = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]) as usize;
        let magic = u32::from_le_bytes([tail[4], tail[5], tail[6], tail[7]]);
        let Some(len) = file_len.checked_sub(tail.len() + payload) else {
            return Ok(None);
        };
        if magic != DIRECTORY_FOOTER_MAGIC || len < FOOTER_BYTES {
            return Ok(None);
        }
        let mut footer = [0u8; FOOTER_BYTES];
        file.read_exact_at(&mut footer, (len - FOOTER_BYTES) as u64)
            .map_err(named)?;
        let version = u32::from_le_bytes(footer[0..4].try_into().unwrap_or_default());
        let offset = u64::from_le_bytes(footer[4..12].try_into().unwrap_or_default());
        if version != DOC_STORE_VERSION
            || footer[12] != ZSTD_COMPRESSOR_ID
            || offset > (len - FOOTER_BYTES) as u64
        {
            return Ok(None);
        }
        Ok(Some(SegmentStore {
            file,
            blocks_end: offset as usize,
            window: READ_WINDOW,
        }))
    }

    /// Calls `f` with each document's id and bytes, in store order, until it returns
    /// `Ok(false)` or an error.
    pub fn for_each<E: From<DocStoreError>>(
        &self,
        mut f: impl FnMut(u32, DocView<'_>) -> Result<bool, E>,
    ) -> Result<(), E> {
        let mut dctx = zstd::bulk::Decompressor::new().map_err(DocStoreError::from)?;
        let mut block: Vec<u8> = Vec::new();
        let (mut window, mut window_start) = (Vec::<u8>::new(), 0usize);
        let mut pos = 0usize;
        let mut doc_id = 0u32;
        let mut want = self.window;
        while pos < self.blocks_end {
            // The frame starting at `pos` (after its 4-byte length), if the window holds it all.
            let frame = (pos >= window_start && pos + 4 <= window_start + window.len())
                .then(|| &window[pos - window_start..])
                .and_then(|rest| {
                    let n = zstd::zstd_safe::find_frame_compressed_size(&rest[4..]).ok()?;
                    Some((rest, n))
                });
            let Some((rest, frame_len)) = frame else {
                let end = (pos + want).min(self.blocks_end);
                if window_start == pos && window_start + window.len() == end {
                    // The whole rest of the file is in the window and holds no whole frame.
                    return Err(E::from(DocStoreError::Corrupt("truncated block")));
                }
                window.resize(end - pos, 0);
                self.file
                    .read_exact_at(&mut window, pos as u64)
                    .map_err(DocStoreError::from)?;
                window_start = pos;
                want = want.saturating_mul(2);
                continue;
            };
            want = self.window;
            let size = u32::from_le_bytes(rest[..4].try_into().unwrap_or_default()) as usize;
            if size > MAX_BLOCK_BYTES {
                return Err(E::from(DocStoreError::Corrupt("block size")));
            }
            block.clear();
            block.reserve(size);
            let got = dctx
                .decompress_to_buffer(&rest[4..4 + frame_len], &mut block)
                .map_err(DocStoreError::from)?;
            if got != size {
                return Err(E::from(DocStoreError::Corrupt("block length")));
            }
            pos += 4 + frame_len;
            let docs = block_documents(&block).map_err(E::from)?;
            for range in docs {
                let go_on = f(
                    doc_id,
                    DocView {
                        bytes: &block[range],
                    },
                )?;
                if !go_on {
                    return Ok(());
                }
                doc_id += 1;
            }
        }
        Ok(())
    }
}

/// The byte ranges of a decompressed block's documents: the block ends with one `u32` start
/// offset per document, then their count.
fn block_documents(
    block: &[u8],
) -> Result<impl Iterator<Item = std::ops::Range<usize>> + '_, DocStoreError> {
    let corrupt = || DocStoreError::Corrupt("block index");
    let count_at = block.len().checked_sub(4).ok_or_else(corrupt)?;
    let count = u32::from_le_bytes(block[count_at..].try_into().map_err(|_| corrupt())?) as usize;
    let index_at = count
        .checked_mul(4)
        .and_then(|n| count_at.checked_sub(n))
        .ok_or_else(corrupt)?;
    let offset = move |i: usize| {
        let at = index_at + i * 4;
        u32::from_le_bytes([block[at], block[at + 1], block[at + 2], block[at + 3]]) as usize
    };
    if (0..count).any(|i| offset(i) > index_at || (i > 0 && offset(i) < offset(i - 1))) {
        return Err(corrupt());
    }
    Ok((0..count).map(move |i| {
        let end = if i + 1 < count {
            offset(i + 1)
        } else {
            index_at
        };
        offset(i)..end
    }))
}

/// One stored document's bytes, as tantivy wrote them: the number of values, then each as a
/// field id and a typed value.
#[derive(Clone, Copy)]
pub struct DocView<'b> {
    bytes: &'b [u8],
}

/// Type codes of tantivy's binary document format.
mod code {
    pub const TEXT: u8 = 0;
    pub const U64: u8 = 1;
    pub const I64: u8 = 2;
    pub const BYTES: u8 = 4;
    pub const DATE: u8 = 5;
    pub const F64: u8 = 6;
    pub const BOOL: u8 = 9;
    pub const IP: u8 = 10;
    pub const NULL: u8 = 11;
    pub const ARRAY: u8 = 12;
    pub const OBJECT: u8 = 13;
}

impl<'b> DocView<'b> {
    /// The first value of `field` when it is text, read in place; `None` otherwise, or when
    /// the bytes cannot be read (then [`DocView::decode`] says why).
    pub fn text(&self, field: Field) -> Option<&'b str> {
        std::str::from_utf8(self.text_bytes(field)?).ok()
    }

    /// [`DocView::text`] without the UTF-8 check: a scan's word and phrase matchers read
    /// ASCII text as bytes, and checking each of two million texts first was a tenth of a
    /// bare `22`'s time. Whoever needs a `str` validates it then.
    pub fn text_bytes(&self, field: Field) -> Option<&'b [u8]> {
        let mut r = self.first_value(field)?;
        if r.u8().ok()? != code::TEXT {
            return None;
        }
        let n = r.len().ok()?;
        r.take(n).ok()
    }

    /// Whether the document has a value of `field`.
    pub fn has(&self, field: Field) -> bool {
        self.first_value(field).is_some()
    }

    /// A cursor at the first value of `field` (its type code), the values before it stepped over.
    fn first_value(&self, field: Field) -> Option<Reader<'b>> {
        let mut r = Reader { bytes: self.bytes };
        for _ in 0..r.vint().ok()? {
            if r.u32().ok()? == field.field_id() {
                return Some(r);
            }
            r.skip_value(0).ok()?;
        }
        None
    }

    /// Every value, as tantivy's own reader gives them.
    pub fn decode(&self) -> Result<Vec<(Field, OwnedValue)>, DocStoreError> {
        let mut r = Reader { bytes: self.bytes };
        let n = r.vint()?;
        let mut out = Vec::with_capacity(n.min(64) as usize);
        for _ in 0..n {
            let f = Field::from_field_id(r.u32()?);
            out.push((f, r.value(0)?));
        }
        Ok(out)
    }
}

/// A cursor over a document's bytes.
struct Reader<'b> {
    bytes: &'b [u8],
}

impl<'b> Reader<'b> {
    fn take(&mut self, n: usize) -> Result<&'b [u8], DocStoreError> {
        if n > self.bytes.len() {
            return Err(DocStoreError::Corrupt("document ends early"));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, DocStoreError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, DocStoreError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, DocStoreError> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(a))
    }

    /// tantivy's variable-length integer: 7 bits per byte, the last byte's high bit set.
    fn vint(&mut self) -> Result<u64, DocStoreError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 != 0 {
                return Ok(value);
            }
        }
        Err(DocStoreError::Corrupt("variable-length integer"))
    }

    fn len(&mut self) -> Result<usize, DocStoreError> {
        usize::try_from(self.vint()?).map_err(|_| DocStoreError::Corrupt("length"))
    }

    fn str(&mut self) -> Result<&'b str, DocStoreError> {
        let n = self.len()?;
        std::str::from_utf8(self.take(n)?).map_err(|_| DocStoreError::Corrupt("text not UTF-8"))
    }

    fn value(&mut self, depth: usize) -> Result<OwnedValue, DocStoreError> {
        if depth > MAX_DEPTH {
            return Err(DocStoreError::Corrupt("values nested too deep"));
        }
        Ok(match self.u8()? {
            code::TEXT => OwnedValue::Str(self.str()?.to_string()),
            code::U64 => OwnedValue::U64(self.u64()?),
            code::I64 => OwnedValue::I64(self.u64()? as i64),
            code::F64 => OwnedValue::F64(tantivy::u64_to_f64(self.u64()?)),
            code::DATE => OwnedValue::Date(DateTime::from_timestamp_nanos(self.u64()? as i64)),
            code::BOOL => OwnedValue::Bool(self.u8()? != 0),
            code::NULL => OwnedValue::Null,
            code::BYTES => {
                let n = self.len()?;
                OwnedValue::Bytes(self.take(n)?.to_vec())
            }
            code::IP => {
                let mut a = [0u8; 16];
                a.copy_from_slice(self.take(16)?);
                OwnedValue::IpAddr(Ipv6Addr::from(u128::from_le_bytes(a)))
            }
            code::ARRAY => {
                let n = self.len()?;
                let mut items = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    items.push(self.value(depth + 1)?);
                }
                OwnedValue::Array(items)
            }
            code::OBJECT => {
                // Keys and values alternate, each with its type code; the count is of both.
                let n = self.len()? / 2;
                let mut entries = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    if self.u8()? != code::TEXT {
                        return Err(DocStoreError::Corrupt("object key"));
                    }
                    let key = self.str()?.to_string();
                    entries.push((key, self.value(depth + 1)?));
                }
                OwnedValue::Object(entries)
            }
            _ => return Err(DocStoreError::Corrupt("value type")),
        })
    }

    /// Steps over one typed value without building it.
    fn skip_value(&mut self, depth: usize) -> Result<(), DocStoreError> {
        if depth > MAX_DEPTH {
            return Err(DocStoreError::Corrupt("values nested too deep"));
        }
        match self.u8()? {
            code::TEXT | code::BYTES => {
                let n = self.len()?;
                self.take(n)?;
            }
            code::U64 | code::I64 | code::F64 | code::DATE => {
                self.take(8)?;
            }
            code::BOOL => {
                self.take(1)?;
            }
            code::NULL => {}
            code::IP => {
                self.take(16)?;
            }
            code::ARRAY | code::OBJECT => {
                for _ in 0..self.len()? {
                    self.skip_value(depth + 1)?;
                }
            }
            _ => return Err(DocStoreError::Corrupt("value type")),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::{JsonObjectOptions, Schema, STORED, TEXT};
    use tantivy::{doc, Index, IndexWriter, TantivyDocument};

    /// Every document read by the walk equals what tantivy's own reader gives, across
    /// several blocks, every value type Loupe stores, and a text larger than a block.
    #[test]
    fn the_walk_reads_what_tantivy_reads() {
        let mut b = Schema::builder();
        let raw = b.add_text_field("_raw", TEXT | STORED);
        let fields = b.add_json_field("_fields", JsonObjectOptions::default().set_stored());
        let count = b.add_u64_field("n", STORED);
        let schema = b.build();
        let dir = tempfile::tempdir().unwrap();
        let index = Index::builder()
            .schema(schema)
            .settings(tantivy::IndexSettings {
                docstore_compression: tantivy::store::Compressor::Zstd(Default::default()),
                docstore_blocksize: 4096,
                ..Default::default()
            })
            .create_in_dir(dir.path())
            .unwrap();
        let mut w: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let big = "x".repeat(20_000);
        for i in 0..2_000u64 {
            let text = if i == 700 {
                big.clone()
            } else {
                format!("event {i} héllo ✓ from 10.0.0.{}", i % 256)
            };
            let json = serde_json::json!({
                "user": format!("u{i}"), "n": i, "neg": -(i as i64), "f": i as f64 / 3.0,
                "ok": i % 2 == 0, "none": null, "list": [1, "two", {"deep": [true]}],
            });
            let obj: std::collections::BTreeMap<String, OwnedValue> =
                serde_json::from_value(json).unwrap();
            let mut d = doc!(raw => text, count => i);
            if i % 3 != 0 {
                d.add_object(fields, obj);
            }
            w.add_document(d).unwrap();
        }
        w.commit().unwrap();
        let reader = index.reader().unwrap();
        let searcher = reader.searcher();
        let segment = searcher.segment_reader(0);
        let tantivy_docs: Vec<TantivyDocument> = segment
            .get_store_reader(0)
            .unwrap()
            .iter::<TantivyDocument>(None)
            .map(Result::unwrap)
            .collect();
        let mut store = SegmentStore::open(dir.path(), segment)
            .unwrap()
            .expect("known layout");
        // Small windows: frames cut at every place, one frame many windows long.
        for window in [READ_WINDOW, 1000, 7] {
            store.window = window;
            let mut seen = 0usize;
            store
                .for_each(|id, view| {
                    let expected = &tantivy_docs[id as usize];
                    let ours = view.decode()?;
                    let theirs: Vec<(Field, OwnedValue)> = expected
                        .field_values()
                        .map(|(f, v)| (f, OwnedValue::from(v)))
                        .collect();
                    assert_eq!(ours, theirs, "document {id}");
                    let text = expected.get_first(raw).and_then(|v| {
                        use tantivy::schema::Value;
                        v.as_str()
                    });
                    assert_eq!(view.text(raw), text);
                    assert_eq!(view.has(fields), id % 3 != 0);
                    seen += 1;
                    Ok::<_, DocStoreError>(true)
                })
                .unwrap();
            assert_eq!(seen, 2_000);
        }
        // A walk stops when told to.
        let mut seen = 0;
        store
            .for_each(|_, _| {
                seen += 1;
                Ok::<_, DocStoreError>(seen < 10)
            })
            .unwrap();
        assert_eq!(seen, 10);
    }

    /// A store in a layout this module does not read is left to tantivy's reader.
    #[test]
    fn another_layout_opens_as_none() {
        let mut b = Schema::builder();
        let raw = b.add_text_field("_raw", TEXT | STORED);
        let dir = tempfile::tempdir().unwrap();
        let index = Index::builder()
            .schema(b.build())
            .settings(tantivy::IndexSettings {
                docstore_compression: tantivy::store::Compressor::None,
                ..Default::default()
            })
            .create_in_dir(dir.path())
            .unwrap();
        let mut w: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        w.add_document(doc!(raw => "one event")).unwrap();
        w.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let store = SegmentStore::open(dir.path(), searcher.segment_reader(0)).unwrap();
        assert!(store.is_none());
        // A segment merged away since the searcher opened it is read through the searcher.
        let store = SegmentStore::open(&dir.path().join("elsewhere"), searcher.segment_reader(0));
        assert!(store.unwrap().is_none());
    }

    #[test]
    fn damaged_bytes_are_errors_not_panics() {
        let mut field = Reader { bytes: &[] };
        assert!(field.vint().is_err());
        let deep: Vec<u8> = std::iter::repeat_n([code::ARRAY, 0x81], 100)
            .flatten()
            .collect();
        assert!(Reader { bytes: &deep }.value(0).is_err());
        assert!(Reader { bytes: &deep }.skip_value(0).is_err());
        let view = DocView {
            bytes: &[0x81, 0, 0, 0, 0, code::TEXT, 0x85, b'a'],
        };
        assert!(view.decode().is_err());
        assert_eq!(view.text(Field::from_field_id(0)), None);
        assert!(block_documents(&[1, 0]).is_err());
        assert!(block_documents(&[9, 0, 0, 0, 1, 0, 0, 0]).is_err());
    }
}
