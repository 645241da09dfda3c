"""Benchmarking what people already run: OpenAI-compatible servers (llama.cpp's server,
llama-cpp-python's, LM Studio, vLLM) and Ollama, through their streamed HTTP APIs."""
