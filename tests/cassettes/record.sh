#!/usr/bin/env bash
# Re-record the cassettes: serve the embedded model with llama_cpp.server on loopback, record,
# stop the server, then replay once to check. Needs `pip install -e ".[dev,record]"`.
cd "$(dirname "$0")/../.."
GGUF=$(.venv/bin/python -c "from agent.llm.backends import default_model_path; print(default_model_path())")
.venv/bin/python -m llama_cpp.server --model "$GGUF" --host 127.0.0.1 --port 8765 --n_ctx 8192 --n_threads 2 --model_alias SmolLM2-135M-Instruct > "${TMPDIR:-/tmp}/storydesk-llama-server.log" 2>&1 &
PID=$!
for i in $(seq 1 30); do curl -s 127.0.0.1:8765/v1/models >/dev/null && break; sleep 1; done
rm -f tests/cassettes/*.yaml
STORYDESK_RECORD_CASSETTES=1 .venv/bin/pytest tests/integration/test_cassettes.py -q -p no:cacheprovider 2>&1 | tail -2
kill $PID
.venv/bin/pytest tests/integration/test_cassettes.py -q -p no:cacheprovider 2>&1 | tail -1
