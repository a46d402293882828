"""Markdown tables that a value cannot break."""

from flows.common.artifacts import markdown_table


def test_a_pipe_or_line_break_in_a_value_stays_inside_its_cell():
    table = markdown_table(["name", "detail"], [("a", "x|y"), ("b", "two\nlines"), ("c", None)])
    assert table.splitlines() == [
        "| name | detail |",
        "|---|---|",
        r"| a | x\|y |",
        "| b | two lines |",
        "| c |  |",
    ]
