"""`ratecard serve`: the web page for court staff and the JSON API for other systems.

Needs the serve extra (FastAPI, uvicorn, python-multipart; ratecard/extras.py says how to add it);
nothing else in ratecard imports this package, so the core install stays light.
app.py builds the application, api.py the /v1 routes, pages.py and form.py the court page,
guard.py the size limit, log and headers, serve.py runs it under uvicorn.
"""
