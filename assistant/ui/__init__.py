"""The chat page (Gradio, mounted at ``/``): layout, behaviour as plain functions, HTML, route guard."""
