"""`flask lists`: coordinators see the choice lists and add the words reporters use for an option, which
typed answers and free-text reports are then matched by (domain.report_text)."""
from __future__ import annotations

from sqlalchemy import select, text

from domain.report_text import Option, match_option
from models import AuditEntry, ChoiceOption, choice_options

WORD = "หาเช้ากินค่ำ"  # "living hand to mouth": poor, in words no seeded synonym has


def reasons(db) -> list[Option]:
    with db.transaction() as session:
        return [Option(*row) for row in choice_options(session, "reason")]


def test_a_synonym_added_is_matched_and_a_removed_one_is_not(app, db):
    cli = app.test_cli_runner()
    assert match_option(WORD, reasons(db)) is None
    try:
        added = cli.invoke(args=["lists", "synonyms", "reason", "poverty", "--add", WORD])
        assert added.exit_code == 0, added.output
        assert WORD in added.output and "ไม่มีเงิน" in added.output  # with those migration 0022 seeded
        assert match_option(f"ที่บ้าน{WORD}ค่ะ", reasons(db)) == "poverty"
        # Spaces, dots and case are not part of a word: the same word again is not added twice.
        again = cli.invoke(args=["lists", "synonyms", "reason", "poverty", "--add", "หาเช้า กินค่ำ"])
        assert again.exit_code == 0 and "already there: หาเช้า กินค่ำ" in again.output
        assert again.output.count(WORD) == 1
        with db.transaction() as session:
            entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "set_synonyms")).one()
            assert (entry.source, entry.detail["code"], entry.detail["added"]) == ("cli", "poverty", [WORD])
    finally:  # the lists are reference data, kept from one test to the next
        removed = cli.invoke(args=["lists", "synonyms", "reason", "poverty", "--remove", WORD])
    assert removed.exit_code == 0, removed.output
    assert WORD not in removed.output
    assert match_option(WORD, reasons(db)) is None


def test_the_lists_are_shown_with_their_synonyms(app):
    shown = app.test_cli_runner().invoke(args=["lists", "show", "wants"])
    assert shown.exit_code == 0, shown.output
    rows = {line.split("\t")[1]: line for line in shown.output.splitlines()}
    assert set(rows) == {"formal_school", "non_formal", "vocational", "skills_training", "not_now"}
    assert "เรียน สกร./กศน." in rows["non_formal"] and "กศน, สกร" in rows["non_formal"]
    assert app.test_cli_runner().invoke(args=["lists", "show"]).output.count("\n") > 30  # every list


def test_wrong_lists_options_and_words_are_refused(app):
    cli = app.test_cli_runner()
    for args, says in [
        (["synonyms", "reason", "rich"], "no option 'rich' in list 'reason'"),
        (["synonyms", "reasons", "poverty"], "no option 'poverty' in list 'reasons'"),
        (["synonyms", "reason", "poverty", "--add", "ก"], "2 to 50 characters"),
        (["synonyms", "reason", "poverty", "--add", "ก" * 51], "2 to 50 characters"),
        (["synonyms", "reason", "poverty", "--remove", "รวยมาก"], "'รวยมาก' is not a synonym of poverty"),
        (["show", "reasons"], "no list 'reasons'"),
    ]:
        result = cli.invoke(args=["lists", *args])
        assert result.exit_code != 0 and says in result.output, (args, result.output)


def test_an_option_inserted_in_sql_as_the_readme_shows_starts_without_synonyms(app, db):
    with db.transaction() as session:
        session.execute(text("INSERT INTO choice_options (list_name, code, label, position, active) "
                             "VALUES ('wants', 'special_ed', 'การศึกษาพิเศษ', 9, true)"))
    try:
        with db.transaction() as session:
            assert choice_options(session, "wants")[-1] == ("special_ed", "การศึกษาพิเศษ", ())
        added = app.test_cli_runner().invoke(args=["lists", "synonyms", "wants", "special_ed", "--add", "เด็กพิเศษ"])
        assert added.exit_code == 0 and "special_ed (การศึกษาพิเศษ): เด็กพิเศษ" in added.output
    finally:
        with db.transaction() as session:
            session.execute(ChoiceOption.__table__.delete().where(ChoiceOption.code == "special_ed"))
