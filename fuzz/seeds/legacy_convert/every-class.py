import vbx.devices
import vbx.flows

# The old program's classes, positional and keyword, with strings in every quoting.
auth = ('AC0123456789abcdef0123456789abcdef', "0123456789abcdef0123456789abcdef")
app = None
number = '+18001234567'

calls = {
    'default': [vbx.flows.Say('Hello', 'man', 'en-GB', 2), vbx.flows.Play(url='https://example.com/a.mp3', loop=2),
                vbx.flows.Pause(length=3), vbx.flows.Device(devices=[vbx.devices.Browser(ignored=['+18005550000']),
                vbx.devices.XMPP(jid='sms.example.com', secret='s3cret', server='localhost', port=5347, target='me@example.com')],
                next='dial')],
    'dial': [vbx.flows.Dial(number=('+18005555555', '+18005555556'), client='alice', sip='sip:a@example.com', next='other')],
    'other': [vbx.flows.Record(next=None), vbx.flows.Reject(reason='busy'), vbx.flows.Hangup(), vbx.flows.Redirect('dial')],
    'conf': [vbx.flows.Dial(None, None, 'team'), vbx.flows.Dial(queue='support'), vbx.flows.Ring()],
}
messages = {
    'default': [vbx.flows.Device([vbx.devices.SMS('+18005555556'), vbx.devices.Email(from_='vbx@example.com', to='me@example.com')]),
                vbx.flows.Message('''multi
line \'quoted\' \\ \u00e9''', '+18005555555')],
    'other': [],
}
contacts = {
    '+18005555555': 'BusinessName',  # trailing comments too
    "+1 (800) 555-5556": "Jane \"J\" Doe",
}
