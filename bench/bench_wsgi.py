"""What the benchmark serves: the forum, and a bare "hello" Flask route beside it (the ceiling).

Both run in the same gunicorn workers, so the ceiling pays the same server, the same WSGI
dispatch and the same process as the pages measured against it.
"""

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from forum import create_app

hello = Flask("hello")


@hello.route("/")
def index():
    return "hello"


app = DispatcherMiddleware(create_app(), {"/__hello": hello})
