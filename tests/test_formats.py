"""Reading task files: .json, .jsonl, .csv, .tsv and .txt into raw task items."""

from __future__ import annotations

import pytest

from lsplug.importer.formats import (
    SUPPORTED_EXTENSIONS,
    FormatError,
    read_json_body,
    read_tasks,
)

BOM = b"\xef\xbb\xbf"


def error_of(name: str, content: bytes, data_key: str | None = "text") -> str:
    """The message of the FormatError that reading this file raises."""
    with pytest.raises(FormatError) as caught:
        read_tasks(name, content, data_key)
    return str(caught.value)


# --- choosing the format ----------------------------------------------------------------


def test_supported_extensions() -> None:
    assert frozenset({".json", ".jsonl", ".csv", ".tsv", ".txt"}) == SUPPORTED_EXTENSIONS


def test_extension_is_case_insensitive() -> None:
    assert read_tasks("A.JSON", b'[{"text": "a"}]', None) == [{"text": "a"}]


def test_name_may_be_a_path() -> None:
    assert read_tasks("dir.csv/tasks.jsonl", b'{"a": 1}\n', None) == [{"a": 1}]


def test_unknown_extension_lists_the_supported_ones() -> None:
    message = error_of("data.xml", b"<a/>")
    assert message.startswith("data.xml: unsupported file type '.xml'")
    assert ".csv, .json, .jsonl, .tsv, .txt" in message


def test_no_extension_is_unsupported() -> None:
    assert "(no extension)" in error_of("README", b"text")


def test_format_error_is_a_value_error() -> None:
    assert issubclass(FormatError, ValueError)
    assert FormatError("x.json: bad").message == "x.json: bad"


# --- .json ------------------------------------------------------------------------------


def test_json_list_gives_its_items() -> None:
    content = b'[{"text": "a"}, {"data": {"text": "b"}}]'
    assert read_tasks("a.json", content, None) == [{"text": "a"}, {"data": {"text": "b"}}]


def test_json_object_is_one_task() -> None:
    assert read_tasks("a.json", b'{"text": "a"}', None) == [{"text": "a"}]


def test_json_empty_list_is_no_task() -> None:
    assert read_tasks("a.json", b"[]", None) == []


def test_json_keeps_non_dict_items_for_later_checks() -> None:
    assert read_tasks("a.json", b'[1, "x", null]', None) == [1, "x", None]


def test_json_with_bom() -> None:
    assert read_tasks("a.json", BOM + b'[{"text": "\xc3\xa9"}]', None) == [{"text": "é"}]


def test_json_with_crlf() -> None:
    assert read_tasks("a.json", b'[\r\n {"text": "a"}\r\n]\r\n', None) == [{"text": "a"}]


def test_json_syntax_error_names_file_line_and_column() -> None:
    message = error_of("a.json", b'[\n  {"text": "a"},\n  {"text": x}\n]')
    assert message.startswith("a.json: invalid JSON at line 3, column 12: ")


def test_json_column_counts_characters_not_bytes() -> None:
    message = error_of("a.json", '["é", x]'.encode())
    assert "at line 1, column 7" in message


def test_json_empty_file_is_an_error() -> None:
    assert error_of("a.json", b"").startswith("a.json: invalid JSON at line 1, column 1")


def test_json_scalar_at_top_level() -> None:
    message = error_of("a.json", b"3")
    assert message == "a.json: a list of tasks or a task object was expected, not a number"


@pytest.mark.parametrize(
    ("content", "kind"), [(b"null", "null"), (b'"s"', "a string"), (b"true", "a boolean")]
)
def test_json_scalar_kinds_are_named(content: bytes, kind: str) -> None:
    assert error_of("a.json", content).endswith(f"not {kind}")


def test_json_not_utf8_names_the_line() -> None:
    message = error_of("a.json", b'[\n{"text": "\xff"}]')
    assert message == "a.json: not valid UTF-8 on line 2 (byte 12)"


# --- read_json_body ---------------------------------------------------------------------


def test_json_body_parses_any_value() -> None:
    assert read_json_body(b'{"url": "http://x/a.csv"}') == {"url": "http://x/a.csv"}


def test_json_body_error_names_the_request_body() -> None:
    with pytest.raises(FormatError, match=r"^request body: invalid JSON at line 1, column 2"):
        read_json_body(b"{,}")


def test_json_body_error_names_where() -> None:
    with pytest.raises(FormatError, match=r"^task 3: invalid JSON at line 2, column 2"):
        read_json_body(b"[1,\n x]", "task 3")


# --- .jsonl -----------------------------------------------------------------------------


def test_jsonl_one_value_per_line() -> None:
    content = b'{"text": "a"}\n{"text": "b"}\n'
    assert read_tasks("b.jsonl", content, None) == [{"text": "a"}, {"text": "b"}]


def test_jsonl_skips_blank_lines() -> None:
    content = b'\n{"text": "a"}\n   \n\n{"text": "b"}'
    assert read_tasks("b.jsonl", content, None) == [{"text": "a"}, {"text": "b"}]


def test_jsonl_with_crlf_and_bom() -> None:
    content = BOM + b'{"text": "a"}\r\n{"text": "b"}\r\n'
    assert read_tasks("b.jsonl", content, None) == [{"text": "a"}, {"text": "b"}]


def test_jsonl_empty_file_is_no_task() -> None:
    assert read_tasks("b.jsonl", b"", None) == []


def test_jsonl_error_names_the_line_counting_blank_lines() -> None:
    content = b'{"a": 1}\n\n{"a": 2}\n\n\n\n{"a": }\n'
    assert error_of("b.jsonl", content).startswith("b.jsonl: invalid JSON on line 7, column 7: ")


def test_jsonl_line_numbers_follow_crlf() -> None:
    content = b'{"a": 1}\r\n{"a": 2}\r\n{oops}\r\n'
    assert error_of("b.jsonl", content).startswith("b.jsonl: invalid JSON on line 3, ")


def test_jsonl_not_utf8_names_the_line() -> None:
    content = b'{"a": 1}\n{"a": "\xfe"}\n'
    assert error_of("b.jsonl", content) == "b.jsonl: not valid UTF-8 on line 2"


# --- .csv and .tsv ----------------------------------------------------------------------


def test_csv_rows_are_dicts_of_strings() -> None:
    content = b"text,score\nhello,1\nworld,2\n"
    assert read_tasks("c.csv", content, None) == [
        {"text": "hello", "score": "1"},
        {"text": "world", "score": "2"},
    ]


def test_tsv_uses_tabs() -> None:
    content = b"text\tscore\nhello, world\t1\n"
    assert read_tasks("c.tsv", content, None) == [{"text": "hello, world", "score": "1"}]


def test_csv_with_bom_keeps_the_first_key_clean() -> None:
    assert read_tasks("c.csv", BOM + b"text\nhello\n", None) == [{"text": "hello"}]


def test_csv_with_crlf() -> None:
    content = b"text,n\r\nhello,1\r\nworld,2\r\n"
    assert read_tasks("c.csv", content, None) == [
        {"text": "hello", "n": "1"},
        {"text": "world", "n": "2"},
    ]


def test_csv_quoted_cell_keeps_commas_quotes_and_newlines() -> None:
    content = b'text,n\n"a, ""quoted""\r\nline",1\n'
    assert read_tasks("c.csv", content, None) == [{"text": 'a, "quoted"\r\nline', "n": "1"}]


def test_csv_empty_file_is_no_task() -> None:
    assert read_tasks("c.csv", b"", None) == []


def test_csv_header_only_is_no_task() -> None:
    assert read_tasks("c.csv", b"text,n\n", None) == []


def test_csv_skips_blank_and_all_empty_rows() -> None:
    content = b"text,n\n\nhello,1\n,\n"
    assert read_tasks("c.csv", content, None) == [{"text": "hello", "n": "1"}]


def test_csv_keeps_a_row_with_some_empty_cells() -> None:
    assert read_tasks("c.csv", b"text,n\nhello,\n", None) == [{"text": "hello", "n": ""}]


def test_csv_row_with_extra_cells_names_its_line() -> None:
    content = b"text,n\nhello,1\n\nworld,2,3\n"
    message = error_of("c.csv", content)
    assert message == "c.csv: line 4: the row has 3 cells, the header has 2"


def test_csv_row_with_missing_cells_names_its_line() -> None:
    message = error_of("c.csv", b"text,n,label\nhello,1\n")
    assert message == "c.csv: line 2: the row has 2 cells, the header has 3"


def test_csv_row_line_counts_lines_inside_quoted_cells() -> None:
    content = b'text,n\n"two\nlines",1\nbad,1,2\n'
    assert error_of("c.csv", content).startswith("c.csv: line 4: ")


def test_csv_duplicate_header_names() -> None:
    message = error_of("c.csv", b"text,n,text\na,1,b\n")
    assert message == "c.csv: line 1: header name 'text' is repeated (columns 1 and 3)"


def test_csv_empty_header_name() -> None:
    message = error_of("c.tsv", b"text\t \tn\na\tb\tc\n")
    assert message == "c.tsv: line 1: header column 2 has no name"


def test_csv_parser_error_names_the_line() -> None:
    huge = b"x" * 200_000
    assert error_of("c.csv", b"text\nok\n" + huge + b"\n").startswith("c.csv: line 3: ")


def test_csv_not_utf8_names_the_line() -> None:
    message = error_of("c.csv", b"text\nok\ncaf\xe9\n")
    assert message == "c.csv: not valid UTF-8 on line 3 (byte 11)"


# --- .txt -------------------------------------------------------------------------------


def test_txt_one_task_per_line_under_the_data_key() -> None:
    assert read_tasks("d.txt", b"first\nsecond\n", "text") == [
        {"text": "first"},
        {"text": "second"},
    ]


def test_txt_skips_blank_lines_and_keeps_inner_spaces() -> None:
    content = b"  first  \n\n \t \nsecond"
    assert read_tasks("d.txt", content, "text") == [{"text": "  first  "}, {"text": "second"}]


def test_txt_with_crlf_and_bom() -> None:
    content = BOM + b"first\r\nsecond\r\n"
    assert read_tasks("d.txt", content, "text") == [{"text": "first"}, {"text": "second"}]


def test_txt_without_data_key() -> None:
    message = error_of("d.txt", b"first\n", None)
    assert message.startswith("d.txt: the label config reads no data key")
    assert "cannot be mapped" in message


def test_txt_not_utf8_names_the_file() -> None:
    assert error_of("d.txt", b"\x80abc").startswith("d.txt: not valid UTF-8 on line 1")


# --- size -------------------------------------------------------------------------------


def test_large_files_read_every_task() -> None:
    count = 100_000
    lines = b"".join(b'{"text": "t%d"}\n' % i for i in range(count))
    tasks = read_tasks("big.jsonl", lines, None)
    assert len(tasks) == count
    assert tasks[-1] == {"text": f"t{count - 1}"}
