"""`ratecard serve`: the web page for court staff and the JSON API for other systems.

Needs the serve extras (`pip install 'ratecard[serve]'`: FastAPI, uvicorn, python-multipart);
nothing else in ratecard imports this package, so the core install stays light.
app.py builds the application, api.py the /v1 routes, pages.py and form.py the court page,
guard.py the size limit, log and headers, serve.py runs it under uvicorn.
"""
