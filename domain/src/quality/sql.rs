//! A small SQL tokenizer, just enough to prove that an admin's custom query is one read-only
//! `SELECT` (or `WITH ... SELECT`) and to rewrite its `:name` parameters into the dialect's
//! placeholders.
//!
//! It is deliberately conservative where dialects disagree: a backslash inside a quoted string
//! (an escape in MySQL, a plain character in PostgreSQL), a `--` not followed by whitespace (not
//! a comment in MySQL), MySQL executable comments `/*! ... */` and `#` comments are refused
//! rather than guessed at. Bare `?` and `$1` placeholders are refused too: parameters are named.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A keyword or unquoted identifier.
    Word,
    /// `'...'` or `"..."` / `` `...` `` quoted text (strings and quoted identifiers alike).
    Quoted,
    /// A number.
    Number,
    /// A named parameter `:name`.
    Param,
    /// `;`.
    Semicolon,
    /// Any other character (operators, parentheses, commas, `::`).
    Punct,
}

/// One token with its byte span in the source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Kind of token.
    pub kind: TokenKind,
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset after the last character.
    pub end: usize,
}

/// Why a text could not be tokenised, in Chinese.
pub type LexError = &'static str;

/// Splits `sql` into tokens, dropping whitespace and comments.
pub fn tokenize(sql: &str) -> Result<Vec<Token>, LexError> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let start = i;
        let next = bytes.get(i + 1).copied();
        if b.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if b == b'-' && next == Some(b'-') {
            // MySQL only treats `--` as a comment when whitespace follows.
            match bytes.get(i + 2) {
                None => return Ok(out),
                Some(c) if c.is_ascii_whitespace() => {}
                Some(_) => return Err("“--”注释后须有空白"),
            }
            while bytes.get(i).is_some_and(|&c| c != b'\n') {
                i += 1;
            }
            continue;
        }
        if b == b'#' {
            return Err("不允许使用“#”");
        }
        if b == b'/' && next == Some(b'*') {
            if matches!(bytes.get(i + 2), Some(b'!' | b'+')) {
                return Err("不允许可执行注释或优化器提示");
            }
            // PostgreSQL nests block comments; MySQL does not. Refuse nesting.
            i += 2;
            loop {
                match (bytes.get(i), bytes.get(i + 1)) {
                    (Some(b'*'), Some(b'/')) => {
                        i += 2;
                        break;
                    }
                    (Some(b'/'), Some(b'*')) => return Err("不允许嵌套注释"),
                    (Some(_), _) => i += 1,
                    (None, _) => return Err("注释未结束"),
                }
            }
            continue;
        }
        if matches!(b, b'\'' | b'"' | b'`') {
            i += 1;
            loop {
                match bytes.get(i) {
                    None => return Err("引号未闭合"),
                    Some(b'\\') => return Err("引号内不允许反斜杠"),
                    Some(&c) if c == b => {
                        if bytes.get(i + 1) == Some(&b) {
                            i += 2;
                        } else {
                            i += 1;
                            break;
                        }
                    }
                    Some(_) => i += 1,
                }
            }
            out.push(Token {
                kind: TokenKind::Quoted,
                start,
                end: i,
            });
            continue;
        }
        if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 {
            // `E'..'`, `N'..'`, `X'..'`, `B'..'` prefixes make the next token a string; the quote
            // is lexed on its own and a backslash in it is refused, so they need no special case.
            while bytes
                .get(i)
                .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80)
            {
                i += 1;
            }
            out.push(Token {
                kind: TokenKind::Word,
                start,
                end: i,
            });
            continue;
        }
        if b.is_ascii_digit() {
            while bytes.get(i).is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'.') {
                i += 1;
            }
            out.push(Token {
                kind: TokenKind::Number,
                start,
                end: i,
            });
            continue;
        }
        match b {
            b';' => {
                out.push(Token {
                    kind: TokenKind::Semicolon,
                    start,
                    end: i + 1,
                });
                i += 1;
            }
            b':' if next == Some(b':') => {
                out.push(Token {
                    kind: TokenKind::Punct,
                    start,
                    end: i + 2,
                });
                i += 2;
            }
            b':' if next.is_some_and(|c| c.is_ascii_alphabetic() || c == b'_') => {
                i += 1;
                while bytes.get(i).is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_') {
                    i += 1;
                }
                out.push(Token {
                    kind: TokenKind::Param,
                    start,
                    end: i,
                });
            }
            b'?' | b'$' => return Err("参数须以 :名称 书写"),
            _ => {
                out.push(Token {
                    kind: TokenKind::Punct,
                    start,
                    end: i + 1,
                });
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Words that change data, schema, session state or the server, or that read files or stall.
const FORBIDDEN: &[&str] = &[
    "INSERT",
    "UPDATE",
    "DELETE",
    "MERGE",
    "UPSERT",
    "REPLACE",
    "CREATE",
    "ALTER",
    "DROP",
    "TRUNCATE",
    "GRANT",
    "REVOKE",
    "COPY",
    "CALL",
    "EXEC",
    "EXECUTE",
    "DO",
    "SET",
    "RESET",
    "LOCK",
    "UNLOCK",
    "VACUUM",
    "ANALYZE",
    "ATTACH",
    "DETACH",
    "PRAGMA",
    "INTO",
    "LOAD",
    "HANDLER",
    "RENAME",
    "COMMENT",
    "REINDEX",
    "CLUSTER",
    "REFRESH",
    "LISTEN",
    "NOTIFY",
    "PREPARE",
    "DEALLOCATE",
    "BEGIN",
    "START",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT",
    "RELEASE",
    "SHUTDOWN",
    "KILL",
    "OUTFILE",
    "DUMPFILE",
    "SLEEP",
    "PG_SLEEP",
    "BENCHMARK",
    "LOAD_FILE",
    "PG_READ_FILE",
    "PG_READ_BINARY_FILE",
    "LO_IMPORT",
    "LO_EXPORT",
    "DBLINK",
    "SET_CONFIG",
    "NEXTVAL",
    "SETVAL",
    "PG_TERMINATE_BACKEND",
    "PG_CANCEL_BACKEND",
];

/// A custom query proven read-only, with its parameters in order of appearance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOnlyQuery {
    tokens: Vec<Token>,
    text: String,
}

impl ReadOnlyQuery {
    /// Checks that `sql` is a single `SELECT` or `WITH` statement, with at most a trailing `;`,
    /// and no data-modifying or otherwise forbidden word outside quotes and comments.
    pub fn parse(sql: &str) -> Result<Self, String> {
        let mut tokens = tokenize(sql).map_err(str::to_owned)?;
        if tokens.last().is_some_and(|t| t.kind == TokenKind::Semicolon) {
            tokens.pop();
        }
        let word = |t: &Token| sql.get(t.start..t.end).unwrap_or_default().to_ascii_uppercase();
        let Some(first) = tokens.first() else {
            return Err("查询为空".to_owned());
        };
        if first.kind != TokenKind::Word || !matches!(word(first).as_str(), "SELECT" | "WITH") {
            return Err("查询须以 SELECT 或 WITH 开头".to_owned());
        }
        for t in &tokens {
            match t.kind {
                TokenKind::Semicolon => return Err("只允许一条语句".to_owned()),
                TokenKind::Word => {
                    let w = word(t);
                    if FORBIDDEN.contains(&w.as_str()) {
                        return Err(format!("不允许使用 {w}"));
                    }
                }
                _ => {}
            }
        }
        Ok(ReadOnlyQuery {
            tokens,
            text: sql.to_owned(),
        })
    }

    /// Names of the `:name` parameters, in order of appearance (repeats included).
    pub fn params(&self) -> Vec<&str> {
        self.tokens
            .iter()
            .filter(|t| t.kind == TokenKind::Param)
            .filter_map(|t| self.text.get(t.start + 1..t.end))
            .collect()
    }

    /// The query without a trailing `;`, with each `:name` replaced by `placeholder(i)` for its
    /// 0-based position; returns the text and the parameter names in binding order.
    pub fn rewrite(&self, mut placeholder: impl FnMut(usize) -> String) -> (String, Vec<String>) {
        let mut out = String::with_capacity(self.text.len());
        let mut names = Vec::new();
        let mut at = 0;
        let end = self.tokens.last().map_or(0, |t| t.end);
        for t in self.tokens.iter().filter(|t| t.kind == TokenKind::Param) {
            out.push_str(self.text.get(at..t.start).unwrap_or_default());
            out.push_str(&placeholder(names.len()));
            names.push(self.text.get(t.start + 1..t.end).unwrap_or_default().to_owned());
            at = t.end;
        }
        out.push_str(self.text.get(at..end).unwrap_or_default());
        (out, names)
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn ok(sql: &str) {
        assert!(
            ReadOnlyQuery::parse(sql).is_ok(),
            "{sql}: {:?}",
            ReadOnlyQuery::parse(sql)
        );
    }

    fn refused(sql: &str) {
        assert!(ReadOnlyQuery::parse(sql).is_err(), "should refuse: {sql}");
    }

    #[test]
    fn accepts_read_only_selects() {
        ok("SELECT * FROM air WHERE pm25 > :limit");
        ok("select 1;");
        ok("SELECT 1 ;  ");
        ok("WITH x AS (SELECT a FROM t) SELECT * FROM x");
        ok("SELECT 'DELETE FROM t; DROP TABLE x' AS note FROM t");
        ok(r#"SELECT "update", `insert` FROM t"#);
        ok("SELECT 'it''s' -- a comment; DROP TABLE t\n FROM t");
        ok("SELECT /* DROP TABLE t; */ 1");
        ok("SELECT x::text FROM t WHERE created_at > :since");
        ok("SELECT updated_at FROM t"); // a word containing a keyword is not the keyword
        ok("SELECT 1 --");
        ok("select * from t; -- a comment after the trailing semicolon");
    }

    #[test]
    fn refuses_everything_else() {
        refused("");
        refused("   ;");
        refused("DELETE FROM t");
        refused("SELECT 1; DELETE FROM t");
        refused("SELECT 1;;");
        refused("select * into copy_t from t");
        refused("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d");
        refused("SELECT * FROM t FOR UPDATE");
        refused("SELECT pg_sleep(100)");
        refused("SELECT SLEEP(10)");
        refused("SELECT set_config('x', 'y', false)");
        refused("EXPLAIN ANALYZE SELECT 1");
        refused("VALUES (1)");
        refused("SELECT 'unterminated");
        refused(r"SELECT 'a\'; DELETE FROM t; -- '");
        refused(r#"SELECT "a\"; DELETE FROM t""#);
        refused("SELECT 1--1\n; DELETE FROM t");
        refused("SELECT 1 # comment\n");
        refused("SELECT /*!50000 1 */");
        refused("SELECT /* outer /* inner */ ; DELETE */ 1");
        refused("SELECT /* never closed");
        refused("SELECT * FROM t WHERE a = ?");
        refused("SELECT * FROM t WHERE a = $1");
        refused("SELECT 1 /* x */ ; SELECT 2");
    }

    #[test]
    fn rewrites_named_parameters() {
        let q = ReadOnlyQuery::parse("SELECT * FROM t WHERE a > :min AND b::text = :code OR a > :min;").unwrap();
        assert_eq!(q.params(), ["min", "code", "min"]);
        let (sql, names) = q.rewrite(|i| format!("${}", i + 1));
        assert_eq!(sql, "SELECT * FROM t WHERE a > $1 AND b::text = $2 OR a > $3");
        assert_eq!(names, ["min", "code", "min"]);
        let (sql, _) = q.rewrite(|_| "?".to_owned());
        assert_eq!(sql, "SELECT * FROM t WHERE a > ? AND b::text = ? OR a > ?");
    }
}
