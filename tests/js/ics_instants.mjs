// Read iCalendar text on standard input with Mozilla's ical.js (the parser of Thunderbird and
// Nextcloud) and print, as JSON, what it understood of each VEVENT: UID, SEQUENCE, summary and
// the start and end as UTC instants (seconds since the epoch).
//
// The VTIMEZONE blocks of the file are registered first, as calendar clients do, so that the
// times are read through the file's own timezone definitions.
import ICAL from "ical.js";

let text = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) text += chunk;

const calendar = new ICAL.Component(ICAL.parse(text));
for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(vtimezone);
}
const events = calendar.getAllSubcomponents("vevent").map((component) => {
  const event = new ICAL.Event(component);
  const lastModified = component.getFirstPropertyValue("last-modified");
  return {
    uid: event.uid,
    sequence: event.sequence,
    summary: event.summary,
    tzid: event.startDate.zone ? event.startDate.zone.tzid : null,
    start: event.startDate.toUnixTime(),
    end: event.endDate.toUnixTime(),
    last_modified: lastModified ? lastModified.toUnixTime() : null,
  };
});
process.stdout.write(JSON.stringify(events));
