"""The peer: line-bot-sdk v3's README echo bot (its "Synopsis"), run by the webhook benchmark under the
same gunicorn command as the bot.

The README's code as it stands (its imports merged as the project's isort writes them), with three
changes only: the channel secret and access token come from the environment instead of placeholders,
the Configuration's host is the fake LINE platform's (LINE_API_BASE_URL), and GET /healthz tells the
benchmark the server is up. Like the README it replies inside the webhook request, with a new
ApiClient (and so a new connection) for each reply, and builds the INFO log line of every body (not
written: the log level stays WARNING).
"""
import os

from flask import Flask, abort, request
from linebot.v3 import WebhookHandler
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import ApiClient, Configuration, MessagingApi, ReplyMessageRequest, TextMessage
from linebot.v3.webhooks import MessageEvent, TextMessageContent

app = Flask(__name__)

configuration = Configuration(access_token=os.environ["LINE_CHANNEL_ACCESS_TOKEN"],
                              host=os.environ["LINE_API_BASE_URL"])
handler = WebhookHandler(os.environ["LINE_CHANNEL_SECRET"])


@app.route("/callback", methods=['POST'])
def callback():
    # get X-Line-Signature header value
    signature = request.headers['X-Line-Signature']

    # get request body as text
    body = request.get_data(as_text=True)
    app.logger.info("Request body: " + body)

    # handle webhook body
    try:
        handler.handle(body, signature)
    except InvalidSignatureError:
        app.logger.info("Invalid signature. Please check your channel access token/channel secret.")
        abort(400)

    return 'OK'


@handler.add(MessageEvent, message=TextMessageContent)
def handle_message(event):
    with ApiClient(configuration) as api_client:
        line_bot_api = MessagingApi(api_client)
        line_bot_api.reply_message_with_http_info(
            ReplyMessageRequest(
                reply_token=event.reply_token,
                messages=[TextMessage(text=event.message.text)]
            )
        )


@app.get("/healthz")
def healthz():
    return "OK"
