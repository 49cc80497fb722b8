# Two entry points: `make run` serves the app, `make test` runs the suite.
# Both install what is missing and load the real data first; reruns are fast.
PY := .venv/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup system venv database data graphs messages

run: setup
	$(PY) manage.py runserver $(HOST):$(PORT)

test: setup
	$(PY) -m pytest

setup: system venv database messages data graphs

system:
	sh scripts/setup_system.sh

venv: system
	sh scripts/setup_venv.sh

database: venv
	sh scripts/setup_db.sh >/dev/null
	$(PY) manage.py migrate --noinput

messages: venv
	$(PY) manage.py compilemessages --ignore=.venv --verbosity=0

data: database
	$(PY) manage.py load_data

graphs: data
	$(PY) manage.py build_graphs
