from plan.cli import app

app(prog_name="python -m plan")
