"""What the bot does for each thing a user does, as one routing table read top to bottom.

The first matching route handles the event. Commands above the `in_flow` route interrupt a guided
conversation (they start another, or only show information); everything below it is an answer
to the open conversation's question when there is one. Buttons on cards (postbacks with an
action) are above it too: tapping one is a new command, not an answer.
"""
from chat import flow
from chat.dispatcher import Route, texts
from domain.menu_labels import (
    MENU_ABOUT,
    MENU_AREA_SUMMARY,
    MENU_CHILDREN_TO_FIND,
    MENU_DEACTIVATE,
    MENU_EXPORT_REPORT,
    MENU_HELP,
    MENU_INVITE,
    MENU_MY_REPORTS,
    MENU_REGISTER,
    MENU_REPORT_CHILD,
    MENU_SET_DEADLINE,
)
from handlers import (
    act_on_case,
    area_summary,
    case_history,
    case_note,
    case_photos,
    check_in,
    children_to_find,
    export_report,
    manage_people,
    my_reports,
    refer_child,
    register,
    report_child,
    set_deadline,
    welcome,
)

ROUTES: list[Route] = [
    Route("follow", welcome.start_following),
    Route("unfollow", welcome.stop_following),
    Route("join", welcome.explain_private_chat_only),
    Route("text", register.start_registration, texts=texts(MENU_REGISTER)),
    Route("text", manage_people.create_invite, texts=texts(MENU_INVITE)),
    Route("text", manage_people.deactivate_user, texts=texts(MENU_DEACTIVATE)),
    Route("text", report_child.report_found_child, texts=texts(MENU_REPORT_CHILD)),
    Route("text", set_deadline.start_setting_deadline, texts=texts(MENU_SET_DEADLINE, "ตั้งกำหนดส่งรายงาน")),
    # One tap on a reminder, answered even in the middle of a form (the form stays where it was).
    Route("postback", set_deadline.confirm_reported, action=set_deadline.REPORTED_ACTION),
    Route("text", area_summary.show_area_summary, texts=texts(MENU_AREA_SUMMARY)),
    Route("postback", area_summary.drill_into_area, action="summary"),
    Route("text", export_report.choose_export_format, texts=texts(MENU_EXPORT_REPORT)),
    Route("postback", export_report.request_export, action="export"),
    Route("text", case_history.show_case_history, when=case_history.asks_who_looked),
    Route("text", children_to_find.show_list, texts=texts(MENU_CHILDREN_TO_FIND)),
    Route("text", my_reports.show_my_reports, texts=texts(MENU_MY_REPORTS)),
    Route("text", welcome.read_about, texts=texts(MENU_ABOUT)),
    Route("text", welcome.ask_for_help, texts=texts(MENU_HELP, "help", "วิธีใช้")),
    # Buttons on lists and case cards.
    Route("postback", children_to_find.show_next_page, action="todo"),
    Route("postback", my_reports.show_my_reports, action="mine"),
    Route("postback", act_on_case.show_case, action="case"),
    Route("postback", check_in.check_in, action="checkin"),
    Route("postback", refer_child.refer_child, action="refer"),
    Route("postback", refer_child.record_back_in_school, action="enrol"),
    Route("postback", refer_child.revoke_referral, action="revoke"),
    Route("postback", act_on_case.confirm_still_in_school, action="staying"),
    Route("postback", act_on_case.report_dropped_out, action="dropped"),
    Route("postback", act_on_case.answer_follow_up, action="followup"),
    Route("postback", act_on_case.close_case, action="close"),
    Route("postback", act_on_case.reopen_case, action="reopen"),
    Route("postback", case_photos.show_case_photos, action="photos"),
    Route("postback", case_note.write_case_note, action="note"),
    Route("postback", refer_child.accept_referral, action="referral_accept"),
    Route("postback", refer_child.decline_referral, action="referral_decline"),
    Route("*", flow.continue_flow, when=flow.in_flow),
    Route("text", welcome.say_hello, texts=texts("สวัสดี", "สวัสดีครับ", "สวัสดีค่ะ", "สวัสดีค่า", "เริ่ม", "เมนู")),
    Route("text", children_to_find.search, when=children_to_find.is_search),
    Route("text", children_to_find.search, when=children_to_find.looks_like_id_or_number),
    Route("location", children_to_find.list_nearest, when=children_to_find.is_reporter),
    Route("*", welcome.say_not_understood),
]
