from options_helper.cli.main import run

run()
