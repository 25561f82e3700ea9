from storesync.cli.main import app

app()
