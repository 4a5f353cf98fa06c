/* Times in the task grid (portal/pages/tasks_table.py), in the signed-in user's zone and in the portal's one
   format, "Tue 21 Sep 07:44" (with the year when not this year), as domain/times.py writes them on the server.
   dash-ag-grid looks up the functions its column definitions name on window.dashAgGridFunctions. */
(function () {
  'use strict';

  var functions = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});
  // Fixed English names, as the server writes them (Intl's own would follow the browser's language).
  var DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  var clocks = {};

  // The wall clock of an instant in an IANA zone, as numbers: {year, month, day, hour, minute}.
  function clock(instant, zone) {
    var format = clocks[zone] || (clocks[zone] = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric',
    }));
    var wall = {};
    format.formatToParts(instant).forEach(function (part) { wall[part.type] = Number(part.value); });
    return wall;
  }

  function pad(number) {
    return (number < 10 ? '0' : '') + number;
  }

  function instant(value) {
    var parsed = value ? new Date(value) : null;
    return parsed && !isNaN(parsed) ? parsed : null;
  }

  // "Tue 21 Sep 07:44" of a UTC ISO-8601 value on the zone's clock; the year too when it is not this year there.
  functions.zonedMoment = function (value, zone) {
    var at = instant(value);
    if (!at) { return value ? String(value) : ''; }
    var wall = clock(at, zone);
    var weekday = DAYS[new Date(Date.UTC(wall.year, wall.month - 1, wall.day)).getUTCDay()];
    var year = wall.year === clock(new Date(), zone).year ? '' : ' ' + wall.year;
    return weekday + ' ' + wall.day + ' ' + MONTHS[wall.month - 1] + year + ' ' + pad(wall.hour) + ':' + pad(wall.minute);
  };

  // "2026-03-08 08:00": a UTC value as its editor shows it, on the zone's clock (the server reads it back there).
  functions.zonedInput = function (value, zone) {
    var at = instant(value);
    if (!at) { return ''; }
    var wall = clock(at, zone);
    return wall.year + '-' + pad(wall.month) + '-' + pad(wall.day) + ' ' + pad(wall.hour) + ':' + pad(wall.minute);
  };

  // A due date's cell: what was typed until the server's answer reloads the row, else the row's UTC value.
  functions.dueInput = function (params, zone) {
    if (!params.data) { return ''; }
    return params.data.due_typed !== undefined ? params.data.due_typed : functions.zonedInput(params.data.due_date, zone);
  };

  functions.dueText = function (params, zone) {
    if (!params.data) { return ''; }
    return params.data.due_typed !== undefined ? params.data.due_typed : functions.zonedMoment(params.data.due_date, zone);
  };

  // The typed text goes to the server as it is (cellValueChanged), to be read there in the user's zone.
  functions.keepTyped = function (params) {
    params.data.due_typed = params.newValue;
    return true;
  };
}());
