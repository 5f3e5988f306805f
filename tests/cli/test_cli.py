"""Commands behave like good tools: help, one-line errors, exit codes."""

import pytest


@pytest.mark.parametrize("args", [["demo", "--help"], ["translate", "--help"],
                                  ["db", "upgrade", "--help"]])
def test_commands_have_help(runner, args):
    result = runner.invoke(args=args)
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_db_upgrade_with_an_unreachable_database_is_one_clear_line(make_app, tmp_path):
    app = make_app(tables=False, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/no/such/dir/db")
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 1
    assert "Error: cannot reach the database" in result.output
    assert "Traceback" not in result.output


def test_database_password_is_not_printed(make_app):
    app = make_app(tables=False,
                   SQLALCHEMY_DATABASE_URI="postgresql+psycopg://u:s3cret@127.0.0.1:1/none")
    result = app.test_cli_runner().invoke(args=["demo", "--password", "long-enough-pw"])
    assert result.exit_code == 1
    assert "cannot reach the database" in result.output
    assert "s3cret" not in result.output
