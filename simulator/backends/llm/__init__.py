"""The pieces of the openai backend: the client (retries, streaming, errors), the prompts (loaded
from prompts/ as langchain-core ChatPromptTemplates) and the structured grader.

Imported only by `simulator.backends.openai_backend` and `simulator.backends.doctor`, so the
OpenAI SDK and langchain-core are loaded only when the openai backend is used.
"""
