from stratus.cli.main import app

app()
